package remix

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"syscall"
	"time"

	"mediapush/internal/ffmpeg"
)

// niceness lowers rendering's CPU priority under the live sessions': a remix is background
// work, like the quality measurements.
const niceness = 10

// ffmpegRuns counts the ffmpeg processes started, for tests that check what a resumed
// render did again.
var ffmpegRuns func(args []string)

// runFFmpeg runs ffmpeg with args at low priority, its standard output going to stdout
// (nil: discarded). A failure says what ffmpeg logged last; a cancelled ctx is the error.
func runFFmpeg(ctx context.Context, stdout io.Writer, args ...string) error {
	args = append([]string{"-nostdin", "-hide_banner", "-nostats", "-v", "error"}, args...)
	if ffmpegRuns != nil {
		ffmpegRuns(args)
	}
	cmd := ffmpeg.Command(ctx, ffmpeg.FFmpeg, args...)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting ffmpeg: %w", err)
	}
	// Best effort: the process runs at normal priority for the moment before this.
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, cmd.Process.Pid, niceness)
	err := cmd.Wait()
	if ctxErr := ctx.Err(); err != nil && ctxErr != nil {
		return ctxErr
	}
	if err != nil {
		return fmt.Errorf("ffmpeg: %w: %s", err, logTail(stderr.String()))
	}
	return nil
}

// logTail is the end of ffmpeg's log, where it says why it failed, on one line.
func logTail(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 600 {
		s = "…" + s[len(s)-600:]
	}
	return strings.ReplaceAll(s, "\n", "; ")
}
