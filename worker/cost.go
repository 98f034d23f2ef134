package worker

import (
	"os"
	"sync"
	"time"

	"mediapush/internal/procstat"
)

// Defaults of the cost measurement.
const (
	// DefaultCostInterval is how often every running session's processes are measured.
	DefaultCostInterval = 2 * time.Second
	// DefaultRampUp is how long after ACTIVE a session's measurements are taken as what its
	// kind costs: until then its page is still loading and its encoder finding its rate.
	DefaultRampUp = 10 * time.Second
)

// How fast measurements move the figures: a session's own cost follows its page within a few
// samples; a kind's learnt cost moves slowly, so that one odd page does not sway it.
const (
	sessionSmoothing = 0.5
	kindSmoothing    = 0.1
	// minLearntShare keeps a learnt estimate at least this share of the prior: a kind learnt
	// on still pages (whose capture costs almost nothing) must not make a moving page look free.
	minLearntShare = 0.5
)

// ewma moves old towards sample by weight a.
func ewma(old, sample, a float64) float64 { return old + a*(sample-old) }

// costModel holds the learnt cost of each kind of session.
type costModel struct {
	mu     sync.Mutex
	learnt map[Kind]Cost
}

func newCostModel() *costModel { return &costModel{learnt: map[Kind]Cost{}} }

// estimate is what a job is expected to cost: its kind's learnt cost, or the prior while none
// of its kind has been measured.
func (m *costModel) estimate(job Job) Cost {
	m.mu.Lock()
	c, ok := m.learnt[kindOf(job)]
	m.mu.Unlock()
	return estimateFrom(job, c, ok)
}

// Estimate is what job is expected to cost on a node whose learnt costs are learnt
// (LoadReport.Learnt): what that node's own admission will count, for a caller placing the
// job on one of several nodes.
func Estimate(job Job, learnt map[string]Cost) Cost {
	c, ok := learnt[kindOf(job).String()]
	return estimateFrom(job, c, ok)
}

func estimateFrom(job Job, learnt Cost, known bool) Cost {
	prior := priorCost(job)
	if !known {
		return prior
	}
	return learnt.atLeast(Cost{Cores: minLearntShare * prior.Cores, Bytes: int64(minLearntShare * float64(prior.Bytes))})
}

// learn takes one measurement of a running session of kind k.
func (m *costModel) learn(k Kind, c Cost) {
	m.mu.Lock()
	defer m.mu.Unlock()
	old, ok := m.learnt[k]
	if !ok {
		m.learnt[k] = c
		return
	}
	m.learnt[k] = Cost{Cores: ewma(old.Cores, c.Cores, kindSmoothing),
		Bytes: int64(ewma(float64(old.Bytes), float64(c.Bytes), kindSmoothing))}
}

// Learnt lists the learnt cost of each kind measured so far.
func (m *costModel) snapshot() map[string]Cost {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]Cost, len(m.learnt))
	for k, c := range m.learnt {
		out[k.String()] = c
	}
	return out
}

// Sampler measures the CPU time and memory of a set of processes (procstat.Take).
type Sampler func(pids ...int) procstat.Sample

// probe is what the meter reads of one session at one moment.
type probe struct {
	streamID string
	kind     Kind
	state    State
	activeAt time.Time // zero before ACTIVE
	pids     []int     // the session's browser processes; none before its browser runs
	sharedBy int       // sessions sharing those processes
	media    mediaStats
}

// mediaStats are a session's delivered media figures, from its ingest.
type mediaStats struct {
	videoFrames, lostPackets int64
	avOffset                 time.Duration
	avKnown                  bool
}

// measured is what the meter knows of one session.
type measured struct {
	prev        procstat.Sample // its processes' last sample
	prevShared  int
	cost        Cost // smoothed; valid once ok
	ok          bool
	prevFrames  int64
	prevAt      time.Time
	fps         float64
	fpsOK       bool
	media       mediaStats
	learning    bool // ACTIVE past its ramp-up: its cost is its kind's
	quality     qualityWatch
	firstSample time.Time
}

// meter measures running sessions' cost and delivered media. update is called every
// interval with the sessions as they are; it keeps no reference to them.
type meter struct {
	sample  Sampler
	model   *costModel
	rampUp  time.Duration
	quality qualityTargets

	mu       sync.Mutex
	sessions map[string]*measured
	self     procstat.Sample // mediapush's own process, last sample
	selfCost Cost
}

func newMeter(sample Sampler, model *costModel, rampUp time.Duration, q qualityTargets) *meter {
	return &meter{sample: sample, model: model, rampUp: rampUp, quality: q, sessions: map[string]*measured{}}
}

// update measures every session in probes at now and forgets the others. overloaded says the
// node's sessions use their whole CPU budget: then a page whose frame rate never reached the
// target counts as degraded too. It returns the changes of quality to report.
func (m *meter) update(now time.Time, probes []probe, overloaded bool) []Degradation {
	self := m.sample(os.Getpid())
	self.At = now
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.self.At.IsZero() {
		if dt := now.Sub(m.self.At).Seconds(); dt > 0 {
			m.selfCost = Cost{Cores: max(0, (self.CPU-m.self.CPU).Seconds()/dt), Bytes: self.PSSKiB << 10}
		}
	}
	m.self = self
	// mediapush's own work (receiving, remuxing, writing) is shared by its sessions.
	selfShare := Cost{}
	if n := len(probes); n > 0 {
		selfShare = Cost{Cores: m.selfCost.Cores / float64(n), Bytes: m.selfCost.Bytes / int64(n)}
	}
	seen := make(map[string]bool, len(probes))
	var reports []Degradation
	for _, p := range probes {
		seen[p.streamID] = true
		s := m.sessions[p.streamID]
		if s == nil {
			s = &measured{}
			m.sessions[p.streamID] = s
		}
		m.measure(s, p, now, selfShare, overloaded)
		if d, ok := s.quality.check(p.streamID, now, s.fps, s.fpsOK, p.media, p.state == Active && m.rampedUp(p, now), overloaded, m.quality); ok {
			reports = append(reports, d)
		}
	}
	for id := range m.sessions {
		if !seen[id] {
			delete(m.sessions, id)
		}
	}
	return reports
}

func (m *meter) rampedUp(p probe, now time.Time) bool {
	return !p.activeAt.IsZero() && now.Sub(p.activeAt) >= m.rampUp
}

// measure takes one sample of a session's processes and media. A session starved of CPU
// measures what it got, not what it needs: while the node is overloaded, or the session
// misses its targets, its kind learns nothing from it.
func (m *meter) measure(s *measured, p probe, now time.Time, selfShare Cost, overloaded bool) {
	s.media = p.media
	if !s.prevAt.IsZero() && p.state == Active {
		if dt := now.Sub(s.prevAt).Seconds(); dt > 0 {
			s.fps, s.fpsOK = float64(p.media.videoFrames-s.prevFrames)/dt, true
		}
	}
	s.prevFrames, s.prevAt = p.media.videoFrames, now
	if len(p.pids) == 0 {
		return
	}
	sharedBy := max(p.sharedBy, 1)
	cur := m.sample(p.pids...)
	cur.At = now
	if !s.prev.At.IsZero() && s.prevShared == sharedBy {
		if dt := now.Sub(s.prev.At).Seconds(); dt > 0 {
			// A process that ended takes its CPU time with it: never less than nothing.
			c := Cost{Cores: max(0, (cur.CPU-s.prev.CPU).Seconds()/dt) / float64(sharedBy),
				Bytes: (cur.PSSKiB << 10) / int64(sharedBy)}
			c = c.plus(selfShare)
			if !s.ok {
				s.cost, s.ok = c, true
			} else {
				s.cost = Cost{Cores: ewma(s.cost.Cores, c.Cores, sessionSmoothing),
					Bytes: int64(ewma(float64(s.cost.Bytes), float64(c.Bytes), sessionSmoothing))}
			}
		}
	}
	s.prev, s.prevShared = cur, sharedBy
	s.learning = p.state == Active && m.rampedUp(p, now)
	if s.learning && s.ok && !overloaded && s.quality.below.IsZero() {
		m.model.learn(p.kind, s.cost)
	}
}

// view is what the meter knows of one session: its smoothed cost (ok false before two
// samples), whether that cost is past the ramp-up, and its delivered media.
func (m *meter) view(streamID string) (SessionFigures, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.sessions[streamID]
	if !ok {
		return SessionFigures{}, false
	}
	return SessionFigures{Cost: s.cost, Measured: s.ok, Settled: s.learning, FPS: s.fps, FPSKnown: s.fpsOK,
		LostPackets: s.media.lostPackets, AVOffset: s.media.avOffset, AVOffsetKnown: s.media.avKnown,
		Degraded: s.quality.degraded}, true
}

// SessionFigures are one session's measured figures.
type SessionFigures struct {
	Cost     Cost    `json:"cost"`     // smoothed over the last samples, mediapush's own share included
	Measured bool    `json:"measured"` // Cost holds a measurement
	Settled  bool    `json:"settled"`  // ACTIVE past its ramp-up: Cost is what the session costs from now on
	FPS      float64 `json:"fps"`
	FPSKnown bool    `json:"fpsKnown"`
	// LostPackets counts the RTP packets lost on the way from the browser.
	LostPackets int64 `json:"lostPackets"`
	// AVOffset is how much later the video arrives than the audio, each against the sender's
	// clock (see ingest.Stats.AVOffset).
	AVOffset      time.Duration `json:"avOffsetNs"`
	AVOffsetKnown bool          `json:"avOffsetKnown"`
	Degraded      bool          `json:"degraded"`
}
