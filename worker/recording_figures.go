package worker

import (
	"time"

	"mediapush/ingest"
)

// CaptureFPS is the frame rate a session asks its page's capture for: what a recording's
// frame rate is judged against.
const CaptureFPS = 30

// avOffsetMean is the mean of the A/V offsets a session's ingest measured, one sample each
// time the session is measured (CostInterval) and one at its end.
type avOffsetMean struct {
	sum time.Duration
	n   int64
}

func (m *avOffsetMean) add(st ingest.Stats) {
	if st.AVOffsetKnown {
		m.sum += st.AVOffset
		m.n++
	}
}

func (m *avOffsetMean) mean() (time.Duration, bool) {
	if m.n == 0 {
		return 0, false
	}
	return m.sum / time.Duration(m.n), true
}

// describe gives the recordings a session finished at its end what only the session knows:
// how long each ran by the clock and the session's A/V offset.
func (s *session) describe(recs []Recording, ended time.Time) {
	s.mu.Lock()
	av, known := s.avOffsets.mean()
	s.mu.Unlock()
	for i := range recs {
		r := &recs[i]
		if r.Wall == 0 && !r.StartedAt.IsZero() && ended.After(r.StartedAt) {
			r.Wall = ended.Sub(r.StartedAt)
		}
		if !r.AVOffsetKnown {
			r.AVOffset, r.AVOffsetKnown = av, known
		}
	}
}
