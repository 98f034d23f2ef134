package e2e

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"mediapush/internal/procstat"
)

// binary builds mediapush once per test run.
func binary(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "mediapush")
	cmd := exec.Command("go", "build", "-o", out, "mediapush/cmd/mediapush")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	return out
}

type process struct {
	cmd  *exec.Cmd
	base string
	done chan struct{} // closed when the process has exited; err is then its exit error
	err  error
}

// serve runs "mediapush serve" on data and waits until it answers.
func serve(t *testing.T, bin, data string) *process {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "serve", "--addr", addr, "--data", data)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, base: "http://" + addr, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		cmd.Process.Kill() //nolint:errcheck // it may have exited
		<-p.done
		// Its browsers die with it, but not at once: the data directory is removed after them.
		for deadline := time.Now().Add(5 * time.Second); len(procstat.Matching(data)) > 0 && time.Now().Before(deadline); {
			time.Sleep(50 * time.Millisecond)
		}
	})
	for i := 0; i < 100; i++ {
		if resp, err := http.Get(p.base + "/healthz"); err == nil {
			resp.Body.Close()
			return p
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("mediapush serve did not answer")
	return nil
}

func TestKilledServiceRecoversItsRecording(t *testing.T) {
	bin := binary(t)
	data := t.TempDir()
	p := serve(t, bin, data)
	s := &service{t: t, base: p.base, data: data}
	if r := s.start("killed", map[string]any{"url": s.page("test-pattern.html"), "width": 640, "height": 360, "recordType": "mp4,hls,mp3"}); !r.Success {
		t.Fatalf("start: %s", r.msg())
	}
	started := time.Now()
	time.Sleep(5 * time.Second)
	p.cmd.Process.Signal(syscall.SIGKILL)
	elapsed := time.Since(started)
	<-p.done
	killedPID := p.cmd.Process.Pid
	// Chromium dies with the process that started it.
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) && len(procstat.Matching(data)) > 0 {
		time.Sleep(100 * time.Millisecond)
	}
	if left := procstat.Matching(data); len(left) > 0 {
		t.Errorf("%d Chromium processes outlived the killed service", len(left))
	}

	// The next start saves what was recorded and says what happened to the session.
	p = serve(t, bin, data)
	s.base = p.base
	b := s.broadcast("killed")
	if b.State != "FAILED" || !strings.Contains(b.Reason, "mediapush stopped") {
		t.Errorf("after restart: %+v", b)
	}
	checkPartial(t, s, "killed", elapsed, "mp4", "hls", "mp3")
	// The killed process could not remove its browsers' temporary directories; the next one did.
	if left, _ := filepath.Glob(filepath.Join(os.TempDir(), fmt.Sprintf("mediapush-chromium-%d-*", killedPID))); len(left) > 0 {
		t.Errorf("temporary directories of the killed process remain: %v", left)
	}

	// SIGTERM finishes running sessions before the process exits.
	if r := s.start("termed", map[string]any{"url": s.page("test-pattern.html"), "width": 640, "height": 360, "recordType": "webm"}); !r.Success {
		t.Fatalf("start: %s", r.msg())
	}
	time.Sleep(3 * time.Second)
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		if p.err != nil {
			t.Errorf("mediapush exited with %v after SIGTERM", p.err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("mediapush did not exit after SIGTERM")
	}
	if left := procstat.Matching(data); len(left) > 0 {
		t.Errorf("%d processes left after SIGTERM", len(left))
	}
	p = serve(t, bin, data)
	s.base = p.base
	if b := s.broadcast("termed"); b.State != "COMPLETE" {
		t.Errorf("a session stopped by SIGTERM: %+v, want COMPLETE", b)
	}
	if v := s.vodOf("termed"); v.Partial || v.Duration < 2000 {
		t.Errorf("SIGTERM's recording: %+v", v)
	}
}
