package synthetic

import (
	"errors"
	"io"
	"os"
	"time"

	"github.com/rs/zerolog"
)

// errStopped ends a media loop when the participant stops.
var errStopped = errors.New("stopped")

// loopFile plays the file at path from its start again and again until the participant
// stops. play returns io.EOF at the end of the file; any other error ends the loop. The
// tracks keep counting timestamps across the seam, so a receiver sees one endless stream.
func (p *Participant) loopFile(path string, play func(io.Reader) error) error {
	for {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		err = play(f)
		f.Close()
		switch {
		case errors.Is(err, errStopped):
			return nil
		case err != nil && !errors.Is(err, io.EOF):
			return err
		}
	}
}

// wait waits for the next tick of the pacing ticker; false when the participant stops first.
func (p *Participant) wait(tick *time.Ticker) bool {
	select {
	case <-tick.C:
		return true
	case <-p.stop:
		return false
	}
}

// writeLogger reports a track's first write error. Writes fail only while the transport is
// going away (and the connection state tells why) or for a moment on a full socket buffer,
// so one warning says enough and the loop carries on.
type writeLogger struct {
	log    zerolog.Logger
	kind   string
	warned bool
}

func (w *writeLogger) check(err error) {
	if err != nil && !w.warned {
		w.warned = true
		w.log.Warn().Err(err).Str("track", w.kind).Msg("synthetic: sending media")
	}
}
