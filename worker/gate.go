package worker

import (
	"sync"
	"time"

	"mediapush/ingest"
	"mediapush/media"
)

// startGate holds a recording back until the page's start signal. Samples before it are
// dropped; the file begins at the first keyframe after it, at time zero.
type startGate struct {
	mu      sync.Mutex
	open    func() (ingest.Sink, error) // creates the recording; set when media starts flowing
	opened  bool
	sink    ingest.Sink
	offset  time.Duration
	openErr error
}

// setOpener gives the gate the function that creates the recording.
func (g *startGate) setOpener(open func() (ingest.Sink, error)) {
	g.mu.Lock()
	g.open = open
	g.mu.Unlock()
}

// release lets the next keyframe start the recording.
func (g *startGate) release() {
	g.mu.Lock()
	g.opened = true
	g.mu.Unlock()
}

// The sink is written without the lock held: the recorder may make one track wait for the other.

func (g *startGate) WriteVideo(s media.Sample) error {
	g.mu.Lock()
	if g.openErr != nil || !g.opened || g.open == nil || (g.sink == nil && !s.Keyframe) {
		err := g.openErr
		g.mu.Unlock()
		return err
	}
	if g.sink == nil {
		if g.sink, g.openErr = g.open(); g.openErr != nil {
			g.mu.Unlock()
			return g.openErr
		}
		g.offset = s.PTS
	}
	sink, offset := g.sink, g.offset
	g.mu.Unlock()
	s.PTS -= offset
	return sink.WriteVideo(s)
}

func (g *startGate) WriteAudio(s media.Sample) error {
	g.mu.Lock()
	sink, offset := g.sink, g.offset
	g.mu.Unlock()
	if sink == nil || s.PTS < offset {
		return nil
	}
	s.PTS -= offset
	return sink.WriteAudio(s)
}
