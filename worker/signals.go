package worker

import (
	"context"
	"strings"
	"sync"
	"time"

	"mediapush/browser"
)

// The recording signals pages give, in the two conventions layouts use: LiveKit's console
// messages and Dolby's marker elements.
const (
	consoleStart = "START_RECORDING"
	consoleEnd   = "END_RECORDING"
	// markerScript reports which of Dolby's marker elements the page holds: "s", "e", "se" or "".
	markerScript = `(document.getElementById('conferenceStartedVoxeet')?'s':'')+` +
		`(document.getElementById('conferenceEndedVoxeet')?'e':'')`
	markerPoll = 500 * time.Millisecond
)

// signals latches a page's start and end signals.
type signals struct {
	start, end         chan struct{}
	startOnce, endOnce sync.Once
}

func newSignals() *signals {
	return &signals{start: make(chan struct{}), end: make(chan struct{})}
}

func (g *signals) started() { g.startOnce.Do(func() { close(g.start) }) }
func (g *signals) ended()   { g.endOnce.Do(func() { close(g.end) }) }

// onConsole reads a console message of the page.
func (g *signals) onConsole(text string) {
	switch strings.TrimSpace(text) {
	case consoleStart:
		g.started()
	case consoleEnd:
		g.ended()
	}
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
