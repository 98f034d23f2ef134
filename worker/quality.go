package worker

import (
	"fmt"
	"strconv"
	"time"
)

// Defaults of the quality a running session is held to.
const (
	// DefaultMinFPS is the delivered frame rate below which a session counts as degraded: the
	// capture runs at DefaultCaptureFPS; a slower capture is held to the same share of its rate.
	DefaultMinFPS = 29
	// DefaultMaxAVOffset is the most the video may lag or lead the audio.
	DefaultMaxAVOffset = 20 * time.Millisecond
	// DefaultDegradedAfter is how long a session stays below the targets before it is reported.
	DefaultDegradedAfter = 5 * time.Second
)

// qualityTargets are the figures a running session should keep.
type qualityTargets struct {
	minFPS      float64
	maxAVOffset time.Duration
	after       time.Duration
}

// Degradation reports that a session fell below its quality targets for longer than allowed,
// or that it is back above them.
type Degradation struct {
	StreamID string    `json:"streamId"`
	Degraded bool      `json:"degraded"` // false: the session has recovered
	At       time.Time `json:"at"`
	// FPS is the frame rate delivered over the last measurement.
	FPS float64 `json:"fps"`
	// AVOffset is how much later the video arrives than the audio (see SessionFigures); zero
	// when unknown.
	AVOffset time.Duration `json:"-"`
	// Reason says which target is missed, with the figures.
	Reason string `json:"reason"`
}

// qualityWatch follows one session's delivered media against the targets.
type qualityWatch struct {
	below    time.Time // since when the session misses a target; zero while it meets them
	degraded bool      // reported as degraded, and not recovered since
	reached  bool      // its frame rate has reached the target once: its page animates
}

// check takes one measurement. Only an ACTIVE session past its ramp-up is held to the
// targets. A still page is captured only when it changes, so a frame rate that never reached
// the target counts only while the node is overloaded: then frames are being lost, not
// spared. It returns a report when the session's state changes.
func (q *qualityWatch) check(streamID string, now time.Time, fps float64, fpsKnown bool, m mediaStats,
	settled, overloaded bool, t qualityTargets,
) (Degradation, bool) {
	if !settled || !fpsKnown {
		return Degradation{}, false
	}
	if fps >= t.minFPS {
		q.reached = true
	}
	why := ""
	if fps < t.minFPS && (q.reached || overloaded) {
		why = "delivers " + strconv.FormatFloat(fps, 'f', 1, 64) + " frames a second, fewer than " +
			strconv.FormatFloat(t.minFPS, 'f', -1, 64)
	}
	if m.avKnown && t.maxAVOffset > 0 && m.avOffset.Abs() > t.maxAVOffset {
		if why != "" {
			why += " and "
		}
		why += fmt.Sprintf("has its video %s from its audio, more than %s", avOffsetText(m.avOffset), t.maxAVOffset)
	}
	d := Degradation{StreamID: streamID, At: now, FPS: fps}
	if m.avKnown {
		d.AVOffset = m.avOffset
	}
	if why == "" {
		q.below = time.Time{}
		if !q.degraded {
			return Degradation{}, false
		}
		q.degraded = false
		d.Reason = "the session meets its targets again"
		return d, true
	}
	if q.below.IsZero() {
		q.below = now
	}
	if q.degraded || now.Sub(q.below) < t.after {
		return Degradation{}, false
	}
	q.degraded = true
	d.Degraded = true
	d.Reason = "the session " + why + " for " + now.Sub(q.below).Round(time.Second).String()
	return d, true
}

// avOffsetText says an offset as "12ms late" or "30ms early".
func avOffsetText(d time.Duration) string {
	if d < 0 {
		return (-d).Round(time.Millisecond).String() + " early"
	}
	return d.Round(time.Millisecond).String() + " late"
}
