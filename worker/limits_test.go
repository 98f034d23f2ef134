package worker

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

func TestAdmitSession(t *testing.T) {
	for _, c := range []struct {
		running, max int
		refused      bool
	}{
		{0, 1, false}, {1, 1, true}, {3, 4, false}, {4, 4, true}, {5, 4, true}, {100, -1, false},
	} {
		err := admitSession(c.running, c.max)
		var le *LimitError
		if got := errors.As(err, &le); got != c.refused {
			t.Errorf("%d running, max %d: %v", c.running, c.max, err)
		}
		if c.refused && !strings.Contains(err.Error(), "the server runs as many sessions as it allows") {
			t.Errorf("message: %q", err)
		}
	}
	if err := admitPush(5, 5); err == nil || err.Error() != "the session has as many pushes as allowed (5); remove one first" {
		t.Errorf("6th push of 5: %v", err)
	}
	if admitPush(4, 5) != nil || admitPush(50, -1) != nil {
		t.Error("a push within the limit was refused")
	}
}

func TestLowDisk(t *testing.T) {
	const gib = 1 << 30
	if r := lowDisk(gib, gib); r != "" {
		t.Errorf("exactly the minimum free: %q", r)
	}
	if r := lowDisk(0, -1); r != "" {
		t.Errorf("no minimum: %q", r)
	}
	r := lowDisk(512<<20, gib)
	if r != "only 512 MiB is free on the data directory's disk, less than the 1 GiB kept free" {
		t.Errorf("512 MiB free of 1 GiB kept: %q", r)
	}
	for n, want := range map[uint64]string{
		24<<20 - 1: "23.9 MiB", 24 << 20: "24 MiB", 1536 << 20: "1.5 GiB", 0: "0 MiB", 100 << 10: "0 MiB", 110 << 10: "0.1 MiB",
	} {
		if got := byteSize(n); got != want {
			t.Errorf("byteSize(%d) = %q, want %q", n, got, want)
		}
	}
	for limit, want := range map[time.Duration]string{
		4 * time.Second: "4s", 12 * time.Hour: "12h", 90 * time.Minute: "1h30m", 90 * time.Second: "1m30s", 2*time.Hour + time.Second: "2h0m1s",
	} {
		if got := lengthLimitReason(limit); got != "the session reached its length limit of "+want {
			t.Errorf("length reason for %s: %q", limit, got)
		}
	}
}

func TestFreeSpace(t *testing.T) {
	free, err := FreeSpace(t.TempDir())
	if err != nil || free == 0 {
		t.Errorf("free space of a temporary directory: %d, %v", free, err)
	}
	if _, err := FreeSpace("/no/such/dir"); err == nil || !strings.Contains(err.Error(), "/no/such/dir") {
		t.Errorf("missing directory: %v", err)
	}
}

// newTestWorker is a Worker on a temporary directory whose free space is *free.
func newTestWorker(t *testing.T, cfg Config, free *uint64) *Worker {
	t.Helper()
	cfg.DataDir = t.TempDir()
	cfg.Log = zerolog.Nop()
	cfg.FreeSpace = func(string) (uint64, error) { return *free, nil }
	w, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// The sessions added here never started: there is nothing of theirs to stop.
		w.mu.Lock()
		clear(w.sessions)
		w.mu.Unlock()
		if err := w.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return w
}

// TestWorkerAdmission: add refuses beyond MaxSessions and below MinFreeDisk, and a refusal
// registers nothing.
func TestWorkerAdmission(t *testing.T) {
	free := uint64(10 << 30)
	w := newTestWorker(t, Config{Limits: Limits{MaxSessions: 2, MinFreeDisk: 1 << 30}}, &free)
	for _, id := range []string{"a", "b"} {
		if _, err := w.add(Job{StreamID: id}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := w.add(Job{StreamID: "c"})
	var le *LimitError
	if !errors.As(err, &le) || err.Error() != "the server runs as many sessions as it allows (2); stop one or try again later" {
		t.Fatalf("third session of 2: %v", err)
	}
	if _, err := w.get("c"); !errors.Is(err, ErrNotFound) {
		t.Error("the refused session is registered")
	}
	if _, err := w.add(Job{StreamID: "a"}); !errors.Is(err, ErrExists) {
		t.Errorf("a running stream id again: %v, want ErrExists before the limit", err)
	}

	w.remove(w.sessions["b"])
	free = 100 << 20
	_, err = w.add(Job{StreamID: "c"})
	if !errors.As(err, &le) || !strings.Contains(err.Error(), "only 100 MiB is free") || !strings.Contains(err.Error(), "1 GiB kept free") {
		t.Fatalf("start with 100 MiB free of 1 GiB kept: %v", err)
	}
	free = 2 << 30
	if _, err := w.add(Job{StreamID: "c"}); err != nil {
		t.Errorf("with space again: %v", err)
	}
}

func TestWorkerDefaults(t *testing.T) {
	free := uint64(0)
	w := newTestWorker(t, Config{Limits: Limits{MinFreeDisk: -1}}, &free)
	c := w.cfg
	if c.MaxSessions != DefaultMaxSessions() || c.MaxSessionLength != DefaultMaxSessionLength || c.MaxPushes != DefaultMaxPushes ||
		c.DiskCheckInterval != DefaultDiskCheckInterval {
		t.Errorf("defaults: %+v", c)
	}
	if _, err := w.add(Job{StreamID: "a"}); err != nil {
		t.Errorf("no free space but no minimum: %v", err)
	}
	if _, err := os.Stat(w.StreamsDir()); err != nil {
		t.Error(err)
	}
}
