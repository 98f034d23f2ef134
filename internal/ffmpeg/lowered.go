package ffmpeg

import (
	"context"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// BackgroundNiceness is the CPU priority of background work (measuring recordings, rendering
// remixes): it gives way to the live sessions.
const BackgroundNiceness = 10

// RunLowered runs cmd (made by Command) at BackgroundNiceness and waits for it. When ctx was
// cancelled, its error is ctx's.
func RunLowered(ctx context.Context, cmd *exec.Cmd) error {
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Start()
	if err == nil {
		// Best effort: the process runs at normal priority for the moment before this.
		_ = syscall.Setpriority(syscall.PRIO_PROCESS, cmd.Process.Pid, BackgroundNiceness)
		err = cmd.Wait()
	}
	if ctxErr := ctx.Err(); err != nil && ctxErr != nil {
		return ctxErr
	}
	return err
}

// LogTail is the end of a tool's log, where it says why it failed, on one line.
func LogTail(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 600 {
		s = "…" + s[len(s)-600:]
	}
	return strings.ReplaceAll(s, "\n", "; ")
}
