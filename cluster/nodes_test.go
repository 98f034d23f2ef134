package cluster

import (
	"slices"
	"testing"
	"time"

	"mediapush/worker"
)

func TestEndedSessionLeavesTheStatus(t *testing.T) {
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	tab := newNodeTable(3*time.Second, func() time.Time { return now })
	at := func(s int) time.Time { return now.Add(time.Duration(s) * time.Second) }
	status := func(sent int, running ...string) Status {
		st := Status{Node: "w1", At: at(sent), Running: running, Budget: worker.Budget{Cores: 2}}
		for _, id := range running {
			st.Load.Sessions = append(st.Load.Sessions, worker.SessionLoad{StreamID: id, Estimate: worker.Cost{Cores: 0.5}})
			st.Load.Load.Cores += 0.5
		}
		return st
	}
	tab.update(status(1, "a", "b"))
	tab.sessionEnded("w1", "a", at(2))
	if _, ok := tab.runningOn("a"); ok {
		t.Error("a still runs after its final event")
	}
	// A heartbeat sent before the end, arriving after it.
	tab.update(status(1, "a", "b"))
	v := tab.views()[0]
	if slices.Contains(v.Running, "a") || v.Load.Load.Cores != 0.5 {
		t.Errorf("a stale status brought a back: %v, load %.2f", v.Running, v.Load.Load.Cores)
	}
	// The stream id started again on the node after the end.
	tab.update(status(3, "a", "b"))
	if n, ok := tab.runningOn("a"); !ok || n != "w1" {
		t.Error("a new session of a is not seen")
	}
	now = now.Add(4 * time.Second)
	if _, ok := tab.runningOn("b"); ok || tab.live("w1") {
		t.Error("a node unheard for the timeout is still live")
	}
}
