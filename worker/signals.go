package worker

import (
	"context"
	"strings"
	"sync"
	"time"

	"mediapush/browser"
)

// The signals pages give: the recording's start and end, in the two conventions layouts use
// (LiveKit's console messages and Dolby's marker elements), and the room's active speaker
// (console ACTIVE_SPEAKER <streamId>, as mediapush's room page logs it).
const (
	consoleStart   = "START_RECORDING"
	consoleEnd     = "END_RECORDING"
	consoleSpeaker = "ACTIVE_SPEAKER"
	// markerScript reports which of Dolby's marker elements the page holds: "s", "e", "se" or "".
	markerScript = `(document.getElementById('conferenceStartedVoxeet')?'s':'')+` +
		`(document.getElementById('conferenceEndedVoxeet')?'e':'')`
	markerPoll = 500 * time.Millisecond
)

// signals latches a page's start and end signals and passes on what the page says, each
// with the time it was seen, to report (nil: nobody listens).
type signals struct {
	start, end         chan struct{}
	startOnce, endOnce sync.Once
	report             func(kind EventKind, speaker string, at time.Time)
	now                func() time.Time
	speakers           *speakerGate
}

func newSignals(report func(kind EventKind, speaker string, at time.Time)) *signals {
	if report == nil {
		report = func(EventKind, string, time.Time) {}
	}
	g := &signals{start: make(chan struct{}), end: make(chan struct{}), report: report, now: time.Now}
	g.speakers = newSpeakerGate(speakerInterval, g.now, afterFunc, func(id string, at time.Time) {
		report(SpeakerChanged, id, at)
	})
	return g
}

// started and ended report the signal before they latch it: the session ends on the end
// signal, and the report must come before the events of its end.
func (g *signals) started() {
	g.startOnce.Do(func() {
		g.report(PageStarted, "", g.now())
		close(g.start)
	})
}

func (g *signals) ended() {
	g.endOnce.Do(func() {
		g.report(PageEnded, "", g.now())
		g.speakers.stop()
		close(g.end)
	})
}

// onConsole reads a console message of the page.
func (g *signals) onConsole(text string) {
	text = strings.TrimSpace(text)
	switch text {
	case consoleStart:
		g.started()
	case consoleEnd:
		g.ended()
	default:
		if id, ok := parseSpeaker(text); ok {
			g.speakers.offer(id)
		}
	}
}

// parseSpeaker reads "ACTIVE_SPEAKER <streamId>"; anything else, or an id that is not a
// stream id, is not a speaker line.
func parseSpeaker(text string) (string, bool) {
	id, ok := strings.CutPrefix(text, consoleSpeaker+" ")
	if !ok || !idName.MatchString(id) {
		return "", false
	}
	return id, true
}

// watchMarkers polls the page for Dolby's marker elements until ctx ends or both were seen.
func (g *signals) watchMarkers(ctx context.Context, br *browser.Tab) {
	t := time.NewTicker(markerPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-br.Dead():
			return
		case <-g.end:
			return
		case <-t.C:
		}
		callCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
		found, err := br.Evaluate(callCtx, markerScript)
		cancel()
		if err != nil {
			continue // navigating, or a page without a document yet
		}
		if strings.Contains(found, "s") {
			g.started()
		}
		if strings.Contains(found, "e") {
			g.ended()
		}
	}
}

// afterFunc runs f after d on the wall clock; the function it returns cancels it.
func afterFunc(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }
