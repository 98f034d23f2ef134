package worker

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/dustin/go-humanize"

	"mediapush/internal/procstat"
)

// setCapacityDefaults fills in the budget, the measurement and the quality targets left at
// zero; negative budgets stay negative ("not checked").
func (c *Config) setCapacityDefaults() {
	if c.CPUBudget == 0 {
		c.CPUBudget = DefaultCPUBudget()
	}
	if c.MemoryBudget == 0 {
		c.MemoryBudget = DefaultMemoryBudget()
	}
	if c.CostInterval <= 0 {
		c.CostInterval = DefaultCostInterval
	}
	if c.RampUp <= 0 {
		c.RampUp = DefaultRampUp
	}
	if c.Sample == nil {
		c.Sample = procstat.Take
	}
	if c.MinFPS <= 0 {
		c.MinFPS = DefaultMinFPS
	}
	if c.MaxAVOffset == 0 {
		c.MaxAVOffset = DefaultMaxAVOffset
	}
	if c.DegradedAfter <= 0 {
		c.DegradedAfter = DefaultDegradedAfter
	}
}

// Budget is what the node's sessions may use together; a resource at 0 or less is not checked.
type Budget = Cost

func (w *Worker) budget() Budget {
	return Budget{Cores: w.cfg.CPUBudget, Bytes: w.cfg.MemoryBudget}
}

// loadLocked is what the running sessions use: measured, for those past their ramp-up; for
// the others (starting, or just ACTIVE) the larger of their estimate and what they measure,
// since a page that is still loading costs less than it will. Called with w.mu held.
func (w *Worker) loadLocked() Cost {
	var load Cost
	for id, s := range w.sessions {
		load = load.plus(w.sessionLoad(id, s))
	}
	return load
}

func (w *Worker) sessionLoad(id string, s *session) Cost {
	f, ok := w.meter.view(id)
	switch {
	case ok && f.Settled && f.Measured:
		return f.Cost
	case ok && f.Measured:
		return f.Cost.atLeast(s.estimate)
	}
	return s.estimate
}

// admitCost refuses a job whose expected cost would take the load past the budget, with a
// message that says which resource is short, by how much, and what to do.
func admitCost(job Job, need, load Cost, budget Budget) error {
	size := sizeText(job)
	if budget.Cores > 0 && load.Cores+need.Cores > budget.Cores {
		msg := fmt.Sprintf("not enough CPU: %s of %s cores in use, a %s session needs about %s; try again later or on another node",
			cores(load.Cores), cores(budget.Cores), size, cores(need.Cores))
		retry := DefaultRetryAfter
		if need.Cores > budget.Cores {
			msg = fmt.Sprintf("not enough CPU: a %s session needs about %s cores, more than this node's budget of %s; start it on a larger node",
				size, cores(need.Cores), cores(budget.Cores))
			retry = 0
		}
		return &LimitError{Message: msg, Cause: CauseCPU, RetryAfter: retry}
	}
	if budget.Bytes > 0 && load.Bytes+need.Bytes > budget.Bytes {
		msg := fmt.Sprintf("not enough memory: %s of %s in use, a %s session needs about %s; try again later or on another node",
			memory(load.Bytes), memory(budget.Bytes), size, memory(need.Bytes))
		retry := DefaultRetryAfter
		if need.Bytes > budget.Bytes {
			msg = fmt.Sprintf("not enough memory: a %s session needs about %s, more than this node's budget of %s; start it on a larger node",
				size, memory(need.Bytes), memory(budget.Bytes))
			retry = 0
		}
		return &LimitError{Message: msg, Cause: CauseMemory, RetryAfter: retry}
	}
	return nil
}

// cores writes a number of cores with two decimals at most: "1.14", "1.8", "0.7".
func cores(v float64) string { return strconv.FormatFloat(float64(int64(v*100+0.5))/100, 'f', -1, 64) }

// memory writes bytes in binary units, "450 MiB", "3.1 GiB".
func memory(b int64) string { return humanize.IBytes(uint64(max(b, 0))) }

// refused counts a refused start by its cause and passes the error on.
func (w *Worker) refused(err error) error {
	var le *LimitError
	if errors.As(err, &le) && le.Cause != "" {
		w.refusals[le.Cause].Add(1)
	}
	return err
}

// Ready says whether a start of job would be admitted now; the error is the refusal it would
// get. Nothing is started or counted.
func (w *Worker) Ready(job Job) error {
	low, err := w.diskLow()
	if err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return errors.New("mediapush is shutting down")
	}
	if low != "" {
		return &LimitError{Message: low + "; no session starts until space is freed", Cause: CauseDisk, RetryAfter: DefaultRetryAfter}
	}
	if err := admitSession(len(w.sessions), w.cfg.MaxSessions); err != nil {
		return err
	}
	return admitCost(job, w.model.estimate(job), w.loadLocked(), w.budget())
}
