package worker

import (
	"testing"
	"time"

	"mediapush/ingest"
)

func TestDescribeRecordings(t *testing.T) {
	s := &session{}
	s.avOffsets.add(ingest.Stats{AVOffset: 10 * time.Millisecond, AVOffsetKnown: true})
	s.avOffsets.add(ingest.Stats{}) // not timed yet: not counted
	s.avOffsets.add(ingest.Stats{AVOffset: 30 * time.Millisecond, AVOffsetKnown: true})
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	recs := []Recording{{StartedAt: start}, {}, {StartedAt: start, Wall: time.Second}}
	s.describe(recs, start.Add(time.Minute))
	if recs[0].Wall != time.Minute || recs[1].Wall != 0 || recs[2].Wall != time.Second {
		t.Errorf("wall times: %v %v %v", recs[0].Wall, recs[1].Wall, recs[2].Wall)
	}
	for _, r := range recs {
		if !r.AVOffsetKnown || r.AVOffset != 20*time.Millisecond {
			t.Errorf("A/V offset %v %v, want the mean 20ms", r.AVOffset, r.AVOffsetKnown)
		}
	}
	var none session
	recs = []Recording{{StartedAt: start}}
	none.describe(recs, start.Add(time.Second))
	if recs[0].AVOffsetKnown {
		t.Error("an A/V offset never measured is known")
	}
}
