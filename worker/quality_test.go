package worker

import (
	"strings"
	"testing"
	"time"
)

func TestQualityWatch(t *testing.T) {
	targets := qualityTargets{minFPS: 29, maxAVOffset: 20 * time.Millisecond, after: 5 * time.Second}
	t0 := time.Unix(1000, 0)
	var q qualityWatch
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	step := func(s int, fps float64, m mediaStats) (Degradation, bool) {
		return q.check("s", at(s), fps, true, m, true, false, targets)
	}
	good := mediaStats{avOffset: 5 * time.Millisecond, avKnown: true}
	if _, ok := step(0, 30, good); ok {
		t.Fatal("a good session reported")
	}
	// Below the frame rate for 4 s: not yet.
	for _, s := range []int{2, 4, 6} {
		if d, ok := step(s, 20, good); ok {
			t.Fatalf("reported after %ds below: %+v", s-2, d)
		}
	}
	d, ok := step(8, 19.5, good)
	if !ok || !d.Degraded || d.FPS != 19.5 || d.Reason != "the session delivers 19.5 frames a second, fewer than 29 for 6s" {
		t.Fatalf("after 6 s below: %+v %v", d, ok)
	}
	if _, ok := step(10, 19, good); ok {
		t.Error("reported twice")
	}
	d, ok = step(12, 30, good)
	if !ok || d.Degraded || d.Reason != "the session meets its targets again" {
		t.Errorf("recovery: %+v %v", d, ok)
	}

	// A late video counts; a short blip does not.
	late := mediaStats{avOffset: 35 * time.Millisecond, avKnown: true}
	if _, ok := step(14, 30, late); ok {
		t.Error("a blip reported")
	}
	step(16, 30, good)
	step(18, 30, late)
	step(20, 30, late)
	d, ok = step(24, 30, late)
	if !ok || !d.Degraded || !strings.Contains(d.Reason, "the session has its video 35ms late from its audio, more than 20ms for 6s") || d.AVOffset != 35*time.Millisecond {
		t.Errorf("late video: %+v %v", d, ok)
	}
}

func TestQualityStillPage(t *testing.T) {
	targets := qualityTargets{minFPS: 29, maxAVOffset: 20 * time.Millisecond, after: 5 * time.Second}
	t0 := time.Unix(1000, 0)
	var q qualityWatch
	// A still page delivers a few frames a second: not degraded while the node has room.
	for s := 0; s < 30; s += 2 {
		if d, ok := q.check("s", t0.Add(time.Duration(s)*time.Second), 2, true, mediaStats{}, true, false, targets); ok {
			t.Fatalf("a still page reported: %+v", d)
		}
	}
	// The same frame rate on an overloaded node is frames lost.
	var reported bool
	for s := 30; s < 40; s += 2 {
		if _, ok := q.check("s", t0.Add(time.Duration(s)*time.Second), 2, true, mediaStats{}, true, true, targets); ok {
			reported = true
		}
	}
	if !reported {
		t.Error("low frame rate on an overloaded node not reported")
	}
	// Starting sessions are not held to the targets.
	var fresh qualityWatch
	for s := 0; s < 30; s += 2 {
		if _, ok := fresh.check("s", t0.Add(time.Duration(s)*time.Second), 1, true, mediaStats{}, false, true, targets); ok {
			t.Fatal("a session in its ramp-up reported")
		}
	}
}
