package e2e

import (
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"
)

// TestClusterControllerRestartLosesNothing restarts the controller, and the NATS server it
// embeds, while two sessions run on worker nodes, one of which ends by itself while NATS is
// away: its events wait on its node and are applied once when NATS is back; the other session
// is not failed by the restart and stops through the new controller. Every recording is
// listed once and announced once.
func TestClusterControllerRestartLosesNothing(t *testing.T) {
	h := newHookReceiver(t)
	c := startCluster(t, []string{"--webhook-url", h.srv.URL + "/hooks"}, nil,
		[]string{"MEDIAPUSH_WEBHOOK_SECRET=" + string(hookSecret)})
	s := c.s
	page := s.page("test-pattern.html")
	// The page ends its own recording 15 s after it loads.
	if r := s.start("ends1", map[string]any{"url": page, "width": 640, "height": 360, "recordType": "mp4",
		"jsCommand": "setTimeout(function () { console.log('END_RECORDING') }, 15000)"}); !r.Success {
		t.Fatalf("start ends1: %s", r.msg())
	}
	if r := s.start("keep1", map[string]any{"url": page, "width": 640, "height": 360, "recordType": "mp4"}); !r.Success {
		t.Fatalf("start keep1: %s", r.msg())
	}
	keepOn := s.workerOf("keep1")

	// The controller goes away; ends1's recording is finished on its node meanwhile.
	if code := c.serve.stopWith(t, syscall.SIGTERM); code != 0 {
		t.Fatalf("serve exited with %d", code)
	}
	streams := filepath.Join(s.data, "streams")
	if m, _ := filepath.Glob(filepath.Join(streams, "ends1-*.mp4")); len(m) > 0 {
		t.Fatal("ends1 ended before the controller went away: nothing waited on NATS")
	}
	until(t, "ends1 finished on its node while the controller is away", time.Minute, func() bool {
		m, _ := filepath.Glob(filepath.Join(streams, "ends1-*.mp4"))
		return len(m) == 1
	})
	time.Sleep(time.Second) // its final event waits on the node, NATS being away
	c.serve = startProcEnv(t, c.bin, "serve-again", c.env, c.serveArgs...)
	s.awaitHealthy(t)

	until(t, "ends1's events applied after the restart", time.Minute, func() bool {
		return s.broadcast("ends1").State == "COMPLETE" && len(storedVoDs(s, "ends1")) > 0
	})
	// The new controller learns where keep1 runs from its node's next heartbeat.
	until(t, "keep1 seen on "+keepOn+" by the new controller", 10*time.Second, func() bool { return s.workerOf("keep1") == keepOn })
	if b := s.broadcast("keep1"); b.State != "ACTIVE" {
		t.Errorf("keep1 after the restart: %+v; want ACTIVE", b)
	}
	// Past one node timeout, a session a node still runs is not failed.
	time.Sleep(4 * time.Second)
	if b := s.broadcast("keep1"); b.State != "ACTIVE" {
		t.Errorf("keep1 a node timeout after the restart: %+v", b)
	}
	if r := s.stop("keep1"); !r.Success {
		t.Fatalf("stop keep1 through the new controller: %s", r.msg())
	}
	for _, id := range []string{"ends1", "keep1"} {
		if n := len(storedVoDs(s, id)); n != 1 {
			t.Errorf("%s has %d VoDs, want 1", id, n)
		}
		checkClusterVoD(t, s, id)
	}
	waitFor(t, "both recordings announced", 30*time.Second, func() bool { return len(h.announced(t)) >= 2 })
	got := h.announced(t)
	for _, id := range []string{"ends1", "keep1"} {
		v := storedVoDs(s, id)[0]
		if len(got[v.VodName]) != 1 {
			t.Errorf("Recordings.Available of %s: %d, want 1 (all: %v)", v.VodName, len(got[v.VodName]), keys(got))
		}
		states := h.states(t, id)
		if slices.Contains(states, "FAILED") || states[len(states)-1] != "COMPLETE" || hasRepeat(states) {
			t.Errorf("Session.State of %s: %v; want each state once, COMPLETE last", id, states)
		}
	}
	h.checkDeliveries(t)
}

// hasRepeat says whether a state follows itself in states: an event applied twice.
func hasRepeat(states []string) bool {
	for i := 1; i < len(states); i++ {
		if states[i] == states[i-1] {
			return true
		}
	}
	return false
}
