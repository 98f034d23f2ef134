package worker

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseSpeaker(t *testing.T) {
	for _, c := range []struct {
		line, id string
		ok       bool
	}{
		{"ACTIVE_SPEAKER alice", "alice", true},
		{"ACTIVE_SPEAKER audio-erin_2", "audio-erin_2", true},
		{"ACTIVE_SPEAKER ", "", false},
		{"ACTIVE_SPEAKER", "", false},
		{"ACTIVE_SPEAKER ../etc/passwd", "", false},
		{"ACTIVE_SPEAKER alice bob", "", false},
		{"ACTIVE_SPEAKER alice\nEND_RECORDING", "", false},
		{"ACTIVE_SPEAKER <b>x</b>", "", false},
		{"ACTIVE_SPEAKER " + strings.Repeat("a", 129), "", false},
		{"ACTIVE_SPEAKER " + strings.Repeat("a", 128), strings.Repeat("a", 128), true},
		{"active_speaker alice", "", false},
		{"START_RECORDING", "", false},
	} {
		id, ok := parseSpeaker(c.line)
		if id != c.id || ok != c.ok {
			t.Errorf("parseSpeaker(%q) = %q, %v; want %q, %v", c.line, id, ok, c.id, c.ok)
		}
	}
}

// fakeTimers is a clock and its pending timers, moved by hand.
type fakeTimers struct {
	now   time.Time
	fires []fakeTimer
}

type fakeTimer struct {
	at      time.Time
	f       func()
	stopped *bool
}

func (c *fakeTimers) clock() time.Time { return c.now }

func (c *fakeTimers) afterFunc(d time.Duration, f func()) func() bool {
	stopped := new(bool)
	c.fires = append(c.fires, fakeTimer{at: c.now.Add(d), f: f, stopped: stopped})
	return func() bool { *stopped = true; return true }
}

// advance moves the clock by d, running the timers due.
func (c *fakeTimers) advance(d time.Duration) {
	c.now = c.now.Add(d)
	var due []fakeTimer
	c.fires = slices.DeleteFunc(c.fires, func(f fakeTimer) bool {
		if !f.at.After(c.now) {
			due = append(due, f)
			return true
		}
		return false
	})
	for _, f := range due {
		if !*f.stopped {
			f.f()
		}
	}
}

type passed struct {
	id string
	at time.Duration
}

func TestSpeakerGateCoalesces(t *testing.T) {
	t0 := time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)
	c := &fakeTimers{now: t0}
	var got []passed
	g := newSpeakerGate(500*time.Millisecond, c.clock, c.afterFunc, func(id string, at time.Time) {
		got = append(got, passed{id, at.Sub(t0)})
	})
	g.offer("alice") // passed on at once
	g.offer("alice") // no change
	c.advance(100 * time.Millisecond)
	g.offer("bob") // too soon: waits
	c.advance(100 * time.Millisecond)
	g.offer("carol") // replaces bob
	c.advance(100 * time.Millisecond)
	for range 1000 { // a page flooding its console
		g.offer("dave")
	}
	c.advance(200 * time.Millisecond) // the interval is over: dave, seen at 300 ms
	c.advance(time.Second)
	g.offer("alice") // long after: at once
	c.advance(100 * time.Millisecond)
	g.offer("bob")
	g.offer("alice") // back to the one passed on: nothing changed
	c.advance(time.Second)
	g.offer("erin")
	g.stop()
	g.offer("frank") // after the end
	c.advance(time.Second)

	want := []passed{{"alice", 0}, {"dave", 300 * time.Millisecond}, {"alice", 1500 * time.Millisecond},
		{"erin", 2600 * time.Millisecond}}
	if !slices.Equal(got, want) {
		t.Errorf("passed on %v, want %v", got, want)
	}
}

// Over any stretch, the gate passes on at most one change per interval, however often the
// page names another speaker.
func TestSpeakerGateRate(t *testing.T) {
	c := &fakeTimers{now: time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)}
	var times []time.Time
	g := newSpeakerGate(500*time.Millisecond, c.clock, c.afterFunc, func(_ string, _ time.Time) {
		times = append(times, c.now)
	})
	ids := []string{"a", "b", "c"}
	for i := range 1000 { // 10 s, a change every 10 ms
		g.offer(ids[i%3])
		c.advance(10 * time.Millisecond)
	}
	if len(times) > 21 || len(times) < 15 {
		t.Errorf("%d changes passed on in 10 s, want about 2 a second", len(times))
	}
	for i := 1; i < len(times); i++ {
		if d := times[i].Sub(times[i-1]); d < 500*time.Millisecond {
			t.Errorf("changes %d and %d passed on %s apart", i-1, i, d)
		}
	}
}

func TestSignalsReportWhatThePageSays(t *testing.T) {
	t0 := time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)
	c := &fakeTimers{now: t0}
	type report struct {
		kind    EventKind
		speaker string
		at      time.Duration
	}
	var got []report
	g := newSignals(func(kind EventKind, speaker string, at time.Time) {
		got = append(got, report{kind, speaker, at.Sub(t0)})
	})
	g.now = c.clock
	g.speakers = newSpeakerGate(speakerInterval, c.clock, c.afterFunc, func(id string, at time.Time) {
		g.report(SpeakerChanged, id, at)
	})
	g.onConsole("hello")
	c.advance(time.Second)
	g.onConsole(" START_RECORDING ")
	g.onConsole("START_RECORDING") // once
	c.advance(time.Second)
	g.onConsole("ACTIVE_SPEAKER zoe")
	g.onConsole("ACTIVE_SPEAKER not/an/id")
	c.advance(time.Second)
	g.onConsole("END_RECORDING")
	g.onConsole("ACTIVE_SPEAKER yan") // after the end
	c.advance(time.Second)

	want := []report{{PageStarted, "", time.Second}, {SpeakerChanged, "zoe", 2 * time.Second}, {PageEnded, "", 3 * time.Second}}
	if !slices.Equal(got, want) {
		t.Errorf("reported %v, want %v", got, want)
	}
	select {
	case <-g.start:
	default:
		t.Error("the start signal is not latched")
	}
	select {
	case <-g.end:
	default:
		t.Error("the end signal is not latched")
	}
}
