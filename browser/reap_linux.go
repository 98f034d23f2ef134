package browser

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
	"time"
)

// killProcessesUsing kills every process started with --user-data-dir=dir, looking again
// until a few passes in a row find none (a child can fork while its parent dies).
// Every Chromium child process carries the switch, and each session's profile is unique.
func killProcessesUsing(dir string) {
	want := []byte("--user-data-dir=" + dir)
	deadline := time.Now().Add(3 * time.Second)
	for quiet := 0; quiet < 3 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if killMatching(want) == 0 {
			quiet++
		} else {
			quiet = 0
		}
	}
}

func killMatching(arg []byte) int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil {
			continue
		}
		// Chromium rewrites some children's argv into one space-separated string, so match inside args too.
		for _, a := range bytes.Split(cmdline, []byte{0}) {
			if bytes.Equal(a, arg) || bytes.Contains(a, append(arg, ' ')) {
				syscall.Kill(pid, syscall.SIGKILL) //nolint:errcheck // gone already is fine
				n++
				break
			}
		}
	}
	return n
}
