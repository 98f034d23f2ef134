package worker

import (
	"sync"
	"time"
)

// speakerInterval is the least time between two active-speaker reports of one session: a
// page logging a speaker on every audio frame must not flood the events (which may cross
// NATS) or the timeline. The room page holds a speaker a second anyway.
const speakerInterval = 500 * time.Millisecond

// speakerGate passes on a page's active-speaker changes at most once per interval. Changes
// that come faster are coalesced: the last one is passed on when the interval is over,
// dated when it was seen. A speaker the same as the one last passed on is no change.
type speakerGate struct {
	interval  time.Duration
	now       func() time.Time
	afterFunc func(time.Duration, func()) (stop func() bool)
	pass      func(id string, at time.Time)

	mu       sync.Mutex
	last     string      // the speaker last passed on
	lastAt   time.Time   // when it was passed on
	pending  string      // a change waiting for the interval to end; "" for none
	seenAt   time.Time   // when the pending change was seen
	cancel   func() bool // stops the scheduled flush
	stopped  bool
	inFlight bool // a flush is scheduled
}

func newSpeakerGate(interval time.Duration, now func() time.Time, afterFunc func(time.Duration, func()) (stop func() bool),
	pass func(id string, at time.Time)) *speakerGate {
	return &speakerGate{interval: interval, now: now, afterFunc: afterFunc, pass: pass}
}

// offer notes that the page names id the active speaker now.
func (g *speakerGate) offer(id string) {
	now := g.now()
	g.mu.Lock()
	if g.stopped {
		g.mu.Unlock()
		return
	}
	if g.inFlight {
		g.pending, g.seenAt = id, now // coalesced: the flush passes on the latest
		g.mu.Unlock()
		return
	}
	if id == g.last {
		g.mu.Unlock()
		return
	}
	if wait := g.interval - now.Sub(g.lastAt); !g.lastAt.IsZero() && wait > 0 {
		g.pending, g.seenAt, g.inFlight = id, now, true
		g.cancel = g.afterFunc(wait, g.flush)
		g.mu.Unlock()
		return
	}
	g.last, g.lastAt = id, now
	g.mu.Unlock()
	g.pass(id, now)
}

// flush passes on the change that waited, unless it came back to the speaker last passed on.
func (g *speakerGate) flush() {
	g.mu.Lock()
	id, at := g.pending, g.seenAt
	g.pending, g.inFlight, g.cancel = "", false, nil
	if g.stopped || id == g.last {
		g.mu.Unlock()
		return
	}
	g.last, g.lastAt = id, g.now()
	g.mu.Unlock()
	g.pass(id, at)
}

// stop drops what waits and passes nothing on from now.
func (g *speakerGate) stop() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.stopped = true
	if g.cancel != nil {
		g.cancel()
	}
}
