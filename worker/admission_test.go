package worker

import (
	"errors"
	"testing"
	"time"

	"mediapush/recorder"
)

func TestAdmitCost(t *testing.T) {
	j := job720("s", recorder.MP4)
	need := Cost{Cores: 0.7, Bytes: 450 << 20}
	budget := Budget{Cores: 1.8, Bytes: 4 << 30}
	for _, c := range []struct {
		name   string
		load   Cost
		budget Budget
		cause  string
		msg    string
		retry  time.Duration
	}{
		{name: "room for it", load: Cost{Cores: 1.0, Bytes: 1 << 30}, budget: budget},
		{name: "exactly full", load: Cost{Cores: 1.1, Bytes: 1 << 30}, budget: budget},
		{name: "CPU short", load: Cost{Cores: 1.6, Bytes: 1 << 30}, budget: budget, cause: CauseCPU, retry: DefaultRetryAfter,
			msg: "not enough CPU: 1.6 of 1.8 cores in use, a 1280x720 session needs about 0.7; try again later or on another node"},
		{name: "CPU short by a hair", load: Cost{Cores: 1.1049, Bytes: 1 << 30}, budget: budget, cause: CauseCPU, retry: DefaultRetryAfter,
			msg: "not enough CPU: 1.1 of 1.8 cores in use, a 1280x720 session needs about 0.7; try again later or on another node"},
		{name: "memory short", load: Cost{Cores: 0.5, Bytes: 3900 << 20}, budget: budget, cause: CauseMemory, retry: DefaultRetryAfter,
			msg: "not enough memory: 3.8 GiB of 4.0 GiB in use, a 1280x720 session needs about 450 MiB; try again later or on another node"},
		{name: "CPU not checked", load: Cost{Cores: 100}, budget: Budget{Cores: -1, Bytes: 4 << 30}},
		{name: "memory not checked", load: Cost{Bytes: 100 << 30}, budget: Budget{Cores: 1.8, Bytes: -1}},
		{name: "never fits", load: Cost{}, budget: Budget{Cores: 0.5, Bytes: 4 << 30}, cause: CauseCPU,
			msg: "not enough CPU: a 1280x720 session needs about 0.7 cores, more than this node's budget of 0.5; start it on a larger node"},
	} {
		err := admitCost(j, need, c.load, c.budget)
		if c.cause == "" {
			if err != nil {
				t.Errorf("%s: refused: %v", c.name, err)
			}
			continue
		}
		var le *LimitError
		if !errors.As(err, &le) {
			t.Errorf("%s: %v, want a LimitError", c.name, err)
			continue
		}
		if le.Cause != c.cause || le.Message != c.msg || le.RetryAfter != c.retry {
			t.Errorf("%s: %+v\nwant cause %s, retry %s, %q", c.name, le, c.cause, c.retry, c.msg)
		}
	}
}

// TestWorkerCostAdmission: with a budget for one and a half 720p sessions, the second is
// refused at once and counted; readiness says the same; the slot frees when the first ends.
func TestWorkerCostAdmission(t *testing.T) {
	free := uint64(10 << 30)
	w := newTestWorker(t, Config{Limits: Limits{MinFreeDisk: -1, CPUBudget: 1.5, MemoryBudget: 8 << 30}}, &free)
	if err := w.Ready(job720("probe")); err != nil {
		t.Fatalf("an idle node is not ready: %v", err)
	}
	if _, err := w.add(job720("first", recorder.MP4)); err != nil {
		t.Fatal(err)
	}
	_, err := w.add(job720("second", recorder.MP4))
	var le *LimitError
	want := "not enough CPU: 1 of 1.5 cores in use, a 1280x720 session needs about 1; try again later or on another node"
	if !errors.As(err, &le) || le.Cause != CauseCPU || le.Message != want {
		t.Fatalf("second 720p session on a budget of 1.5 cores: %v", err)
	}
	if _, err := w.get("second"); !errors.Is(err, ErrNotFound) {
		t.Error("the refused session is registered")
	}
	if err := w.Ready(job720("probe")); err == nil || err.Error() != want {
		t.Errorf("readiness while full: %v", err)
	}
	r := w.Load()
	if r.Refused[CauseCPU] != 1 || r.Refused[CauseMemory] != 0 || len(r.Refused) != len(Causes) {
		t.Errorf("refusals: %v", r.Refused)
	}
	if len(r.Sessions) != 1 || r.Sessions[0].StreamID != "first" || r.Sessions[0].State != Starting ||
		r.Load.Cores < 0.99 || r.Load.Cores > 1.01 || r.Budget.Cores != 1.5 || r.PoolBrowsers != 0 {
		t.Errorf("load report: %+v", r)
	}
	w.remove(w.sessions["first"])
	if err := w.Ready(job720("probe")); err != nil {
		t.Errorf("ready again: %v", err)
	}
}
