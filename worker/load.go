package worker

import (
	"sort"
	"sync/atomic"
	"time"
)

// SessionLoad is one running session's cost and delivered media.
type SessionLoad struct {
	StreamID string `json:"streamId"`
	State    State  `json:"state"`
	Kind     string `json:"kind"`
	// Estimate is what the session was expected to cost when it was admitted.
	Estimate Cost `json:"estimate"`
	SessionFigures
}

// LoadReport is the node's load at one moment, for metrics and readiness.
type LoadReport struct {
	Budget Budget `json:"budget"`
	// Load is what admission counts: measured costs, and estimates for sessions still
	// ramping up.
	Load     Cost          `json:"load"`
	Sessions []SessionLoad `json:"sessions"` // by stream id
	// Refused counts refused starts by cause (every Cause is present).
	Refused map[string]int64 `json:"refused"`
	// DegradedReports counts the times a session was reported degraded.
	DegradedReports int64 `json:"degradedReports"`
	// PoolBrowsers is the number of browsers running or launching for sessions, warm ones
	// included.
	PoolBrowsers int `json:"poolBrowsers"`
	// Learnt is the learnt cost of each kind of session measured so far, by Kind.String().
	Learnt map[string]Cost `json:"learnt"`
}

// Load reports the node's budget, load and every session's figures.
func (w *Worker) Load() LoadReport {
	r := LoadReport{Budget: w.budget(), Refused: make(map[string]int64, len(Causes)),
		DegradedReports: w.degradedReports.Load(), PoolBrowsers: w.pool.Browsers(), Learnt: w.model.snapshot()}
	for _, c := range Causes {
		r.Refused[c] = w.refusals[c].Load()
	}
	w.mu.Lock()
	for id, s := range w.sessions {
		l := w.sessionLoad(id, s)
		r.Load = r.Load.plus(l)
		s.mu.Lock()
		st := s.state
		s.mu.Unlock()
		f, _ := w.meter.view(id)
		r.Sessions = append(r.Sessions, SessionLoad{StreamID: id, State: st, Kind: kindOf(s.job).String(),
			Estimate: s.estimate, SessionFigures: f})
	}
	w.mu.Unlock()
	sort.Slice(r.Sessions, func(i, j int) bool { return r.Sessions[i].StreamID < r.Sessions[j].StreamID })
	return r
}

// processOwner is a session's browser handle as the meter sees it.
type processOwner interface {
	Processes() (pids []int, sharedBy int)
}

// probe is what the meter reads of the session now.
func (s *session) probe() probe {
	s.mu.Lock()
	p := probe{streamID: s.job.StreamID, kind: kindOf(s.job), state: s.state, activeAt: s.activeAt}
	var owner processOwner
	if s.br != nil {
		owner = s.br
	}
	in, before := s.in, s.before
	s.mu.Unlock()
	if owner != nil {
		p.pids, p.sharedBy = owner.Processes()
	}
	p.media = mediaStats{videoFrames: before.VideoFrames, lostPackets: before.LostPackets}
	if in != nil {
		st := in.Stats()
		p.media.videoFrames += st.VideoFrames
		p.media.lostPackets += st.LostPackets
		p.media.avOffset, p.media.avKnown = st.AVOffset, st.AVOffsetKnown
		s.mu.Lock()
		s.avOffsets.add(st)
		s.mu.Unlock()
	}
	return p
}

// watchCost measures every running session each CostInterval, learns what each kind costs
// and reports sessions whose quality falls below the targets.
func (w *Worker) watchCost() {
	defer close(w.costDone)
	tick := time.NewTicker(w.cfg.CostInterval)
	defer tick.Stop()
	for {
		select {
		case <-w.stopCost:
			return
		case now := <-tick.C:
			w.measure(now)
		}
	}
}

// measure takes one round of measurements at now.
func (w *Worker) measure(now time.Time) {
	w.mu.Lock()
	running := make([]*session, 0, len(w.sessions))
	for _, s := range w.sessions {
		running = append(running, s)
	}
	w.mu.Unlock()
	probes := make([]probe, 0, len(running))
	for _, s := range running {
		probes = append(probes, s.probe())
	}
	// Overloaded: the sessions use the whole CPU budget, or, where it is not checked, the
	// cores a default budget would give them.
	capacity := w.budget().Cores
	if capacity <= 0 {
		capacity = DefaultCPUBudget()
	}
	w.mu.Lock()
	overloaded := w.measuredCoresLocked() >= capacity
	w.mu.Unlock()
	for _, d := range w.meter.update(now, probes, overloaded) {
		w.reportQuality(d)
	}
}

// measuredCoresLocked is the CPU the sessions measure now, estimates left out. Called with
// w.mu held.
func (w *Worker) measuredCoresLocked() float64 {
	var c float64
	for id := range w.sessions {
		if f, ok := w.meter.view(id); ok && f.Measured {
			c += f.Cost.Cores
		}
	}
	return c
}

// reportQuality logs a change of a session's quality and passes it on.
func (w *Worker) reportQuality(d Degradation) {
	l := w.cfg.Log.Info()
	if d.Degraded {
		w.degradedReports.Add(1)
		l = w.cfg.Log.Warn()
	}
	l.Str("streamId", d.StreamID).Bool("degraded", d.Degraded).Float64("fps", d.FPS).
		Dur("avOffset", d.AVOffset).Msg(d.Reason)
	if w.cfg.OnDegraded != nil {
		w.cfg.OnDegraded(d)
	}
}

// refusalCounters makes a counter for every Cause.
func refusalCounters() map[string]*atomic.Int64 {
	m := make(map[string]*atomic.Int64, len(Causes))
	for _, c := range Causes {
		m[c] = new(atomic.Int64)
	}
	return m
}
