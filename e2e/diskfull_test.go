package e2e

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dustin/go-humanize"

	"mediapush/controller"
	"mediapush/worker"
)

// mountTmpfs mounts a tmpfs of size bytes on a new directory and unmounts it when the test
// ends. Mounting needs root: CI runs the tests as root, so there a missing privilege fails the
// test rather than skipping what it checks.
func mountTmpfs(t *testing.T, size int64) string {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("this test mounts a tmpfs and needs root; CI runs the tests as root")
		}
		t.Skip("mounting a tmpfs needs root")
	}
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+humanize.FormatInteger("#.", int(size)), "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// TestDiskFills records on a small file system that fills up: the recording itself takes the
// free space below the minimum, and is then finished cleanly in the room the minimum kept, is
// listed and plays; the next start is refused.
func TestDiskFills(t *testing.T) {
	const minFree = 24 << 20
	data := mountTmpfs(t, 128<<20)
	s, _ := startServiceOn(t, data, func(c *controller.Config) { c.Limits.MinFreeDisk = minFree })
	const id = "fills"
	body := map[string]any{"url": s.page("test-pattern.html"), "width": 1280, "height": 720, "recordType": "mp4"}
	if r := s.start(id, body); !r.Success {
		t.Fatalf("start: %s", r.msg())
	}
	// Other files take all but a little of what is above the minimum; the recording takes the rest.
	free, err := worker.FreeSpace(data)
	if err != nil {
		t.Fatal(err)
	}
	const headroom = 1 << 20
	if free < minFree+headroom {
		t.Fatalf("only %s free on a fresh 128 MiB tmpfs with the session running", humanize.IBytes(free))
	}
	filler := make([]byte, free-minFree-headroom)
	if err := os.WriteFile(filepath.Join(data, "other-files"), filler, 0o600); err != nil {
		t.Fatal(err)
	}
	filled := time.Now()
	b := s.waitState(id, "COMPLETE", 2*time.Minute)
	t.Logf("ended %s after the other files were written: %s", time.Since(filled).Round(100*time.Millisecond), b.Reason)
	if !strings.HasPrefix(b.Reason, "only ") || !strings.Contains(b.Reason, "less than the 24 MiB kept free") {
		t.Errorf("ended: %+v; want the free space and the minimum as the reason", b)
	}
	v := s.vodOf(id)
	if v.Partial || v.Format != "mp4" {
		t.Errorf("the recording: %+v", v)
	}
	// Frame rate is not what this test is about: the disk's filling is.
	info := checkRecording(t, s.download(v), "h264", "aac", 1280, 720, 0, 5)
	if info.Duration < time.Second {
		t.Errorf("the recording lasts %s", info.Duration)
	}
	// Files, not directories: rooms' raw recordings keep their working directory there.
	var left []string
	filepath.WalkDir(filepath.Join(data, "recording"), func(path string, d fs.DirEntry, err error) error { //nolint:errcheck // a missing directory leaves none
		if err == nil && !d.IsDir() {
			left = append(left, path)
		}
		return nil
	})
	if len(left) > 0 {
		t.Errorf("unfinished recording files left: %v", left)
	}

	// Finishing freed the space of the recording's working file; the disk stays full.
	if free, err = worker.FreeSpace(data); err != nil {
		t.Fatal(err)
	}
	if free >= minFree {
		more := make([]byte, free-minFree+(1<<20))
		if err := os.WriteFile(filepath.Join(data, "more-files"), more, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	r := s.start("next", body)
	if r.Success || !strings.Contains(r.msg(), "less than the 24 MiB kept free; no session starts until space is freed") {
		t.Errorf("start on the full disk: %s", r.msg())
	}
}
