package browser

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// tmpPrefix names each browser's TMPDIR, followed by the pid of the mediapush that owns it.
const tmpPrefix = "mediapush-chromium-"

// RemoveStale deletes the browser TMPDIRs whose mediapush process is gone (it was killed and
// could not clean up). Those of running processes are left alone.
func RemoveStale() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), tmpPrefix+"*"))
	for _, d := range dirs {
		pidText, _, _ := strings.Cut(strings.TrimPrefix(filepath.Base(d), tmpPrefix), "-")
		pid, err := strconv.Atoi(pidText)
		if err != nil || pid == os.Getpid() {
			continue
		}
		if syscall.Kill(pid, 0) == syscall.ESRCH {
			os.RemoveAll(d)
		}
	}
}
