package main

import (
	"flag"
	"io"
	"strings"
	"testing"
	"time"

	"mediapush/worker"
)

func parseLimits(t *testing.T, args ...string) (limitsFlags, error) {
	t.Helper()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f := limitFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	_, err := f.limits()
	return f, err
}

func TestLimitFlags(t *testing.T) {
	f, err := parseLimits(t)
	if err != nil {
		t.Fatal(err)
	}
	l, _ := f.limits()
	if l.MinFreeDisk != worker.DefaultMinFreeDisk || l.MaxSessions != worker.DefaultMaxSessions() || l.MaxSessionLength != 12*time.Hour {
		t.Errorf("defaults: %+v", l)
	}
	srv := f.server(nil)
	if srv.ReadTimeout != 30*time.Second || srv.IdleTimeout != 2*time.Minute || srv.WriteTimeout != 0 {
		t.Errorf("server timeouts: read %s, idle %s, write %s", srv.ReadTimeout, srv.IdleTimeout, srv.WriteTimeout)
	}

	f, _ = parseLimits(t, "--min-free-disk", "500MiB", "--max-sessions", "0", "--max-session-length", "4s")
	l, _ = f.limits()
	if l.MinFreeDisk != 500<<20 || l.MaxSessions >= 0 || l.MaxSessionLength != 4*time.Second {
		t.Errorf("500MiB, no session limit, 4s: %+v", l)
	}
	f, _ = parseLimits(t, "--min-free-disk", "0")
	if l, _ = f.limits(); l.MinFreeDisk >= 0 {
		t.Errorf("--min-free-disk 0 checks: %+v", l)
	}

	if l.CPUBudget != worker.DefaultCPUBudget() || l.MinFPS != worker.DefaultMinFPS || l.MaxAVOffset != worker.DefaultMaxAVOffset ||
		l.DegradedAfter != worker.DefaultDegradedAfter {
		t.Errorf("capacity defaults: %+v", l)
	}
	f, _ = parseLimits(t, "--cpu-budget", "1.5", "--memory-budget", "2GiB", "--degraded-after", "8s", "--max-av-offset", "0")
	if l, _ = f.limits(); l.CPUBudget != 1.5 || l.MemoryBudget != 2<<30 || l.DegradedAfter != 8*time.Second || l.MaxAVOffset >= 0 {
		t.Errorf("1.5 cores, 2GiB, 8s, no A/V check: %+v", l)
	}
	f, _ = parseLimits(t, "--cpu-budget", "0", "--memory-budget", "0")
	if l, _ = f.limits(); l.CPUBudget >= 0 || l.MemoryBudget >= 0 {
		t.Errorf("budgets of 0 check: %+v", l)
	}

	for _, c := range [][]string{
		{"--min-free-disk", "lots"}, {"--max-pushes", "-2"}, {"--max-session-length", "-1s"}, {"--http-read-timeout", "0s"},
		{"--cpu-budget", "-1"}, {"--cpu-budget", "NaN"}, {"--memory-budget", "much"}, {"--min-fps", "0"}, {"--degraded-after", "0s"},
	} {
		if _, err := parseLimits(t, c...); err == nil || !strings.Contains(err.Error(), c[0]) {
			t.Errorf("%v: %v, want an error naming %s", c, err, c[0])
		}
	}
}
