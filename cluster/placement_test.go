package cluster

import (
	"strings"
	"testing"

	"mediapush/worker"
)

func status(id string, budgetCores, loadCores float64, running ...string) NodeView {
	return NodeView{Live: true, Status: Status{Node: id, Budget: worker.Budget{Cores: budgetCores, Bytes: 8 << 30},
		Load: worker.LoadReport{Load: worker.Cost{Cores: loadCores, Bytes: 1 << 30}}, Running: running}}
}

var job360 = worker.Job{StreamID: "s", Width: 640, Height: 360}

func TestPlaceMostFreeCPUFirst(t *testing.T) {
	p := Place(job360, []NodeView{status("a", 1.8, 1.0), status("b", 1.8, 0.2), status("c", 4, 3.0)})
	if strings.Join(p.Order, ",") != "b,c,a" || p.Refusal != nil {
		t.Errorf("order %v (refusal %v), want b,c,a", p.Order, p.Refusal)
	}
}

func TestPlaceThenMostFreeMemory(t *testing.T) {
	a, b := status("a", 1.8, 0.5), status("b", 1.8, 0.5)
	a.Load.Load.Bytes = 4 << 30
	p := Place(job360, []NodeView{a, b})
	if strings.Join(p.Order, ",") != "b,a" {
		t.Errorf("order %v, want b,a", p.Order)
	}
}

func TestPlaceSkipsWhatCannotTakeIt(t *testing.T) {
	draining := status("d", 1.8, 0)
	draining.Draining = true
	lost := status("l", 1.8, 0)
	lost.Live = false
	full := status("f", 1.8, 0.1, "x")
	full.MaxSessions = 1
	p := Place(job360, []NodeView{status("busy", 1.8, 1.7), draining, lost, full, status("ok", 1.8, 0)})
	if strings.Join(p.Order, ",") != "ok" {
		t.Errorf("order %v, want ok only", p.Order)
	}
}

func TestPlaceRefusalSaysWhy(t *testing.T) {
	draining := status("w2", 1.8, 0)
	draining.Draining = true
	full := status("w3", 1.8, 0.1, "x")
	full.MaxSessions = 1
	p := Place(job360, []NodeView{status("w1", 1.8, 1.6), draining, full})
	if len(p.Order) != 0 || p.Refusal == nil {
		t.Fatalf("placed on %v, want a refusal", p.Order)
	}
	for _, want := range []string{"no worker node can take a 640x360 session", "w1 0.20 of 1.80 cores free", "w2 draining", "w3 runs 1 of 1 sessions"} {
		if !strings.Contains(p.Refusal.Message, want) {
			t.Errorf("refusal %q does not say %q", p.Refusal.Message, want)
		}
	}
	if p.Refusal.RetryAfter == 0 || p.Refusal.Cause == "" {
		t.Errorf("refusal %+v: want a cause and a retry", p.Refusal)
	}
	if none := Place(job360, nil); none.Refusal == nil || !strings.Contains(none.Refusal.Message, "none is connected") {
		t.Errorf("no nodes: %+v", none)
	}
}

func TestPlaceUsesTheNodesLearntCost(t *testing.T) {
	// A node that learnt 360p pages cost 1.5 cores has no room in 1.0 free.
	a := status("a", 1.8, 0.8)
	a.Load.Learnt = map[string]worker.Cost{"360p/page/push": {Cores: 1.5, Bytes: 100 << 20}}
	p := Place(job360, []NodeView{a})
	if p.Refusal == nil || !strings.Contains(p.Refusal.Message, "a 1.00 of 1.80 cores free") {
		t.Errorf("placement %+v, want a refusal naming a's free cores", p)
	}
}
