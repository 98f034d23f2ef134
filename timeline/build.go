package timeline

import (
	"cmp"
	"encoding/json"
	"math"
	"slices"
	"time"
)

// Span is how one recording file lies on the wall clock: its first frame's time, its length,
// and the gaps taken out of it (recording toggled off in a merged file, a crash's restart),
// each where the media after it begins in the file and how long nothing was recorded.
type Span struct {
	Start    time.Time
	Duration time.Duration
	Gaps     []Gap
}

// Gap is time missing from a recording: At is where in the file the media after it begins.
type Gap struct {
	At       time.Duration
	Duration time.Duration
}

// Event is one thing that happened, placed on the recording.
type Event struct {
	Type Kind `json:"type"`
	// At is where in the recording it shows, in seconds from the first frame.
	At float64 `json:"at"`
	// Time is when it happened, by the wall clock.
	Time      time.Time `json:"time"`
	StreamID  string    `json:"streamId,omitempty"`
	Name      string    `json:"name,omitempty"`
	Presenter string    `json:"presenter,omitempty"`
	Reason    string    `json:"reason,omitempty"`
	// OffRecord marks what happened while nothing was recorded (before the first frame, in a
	// pause): it is placed where the recording picks up again. The room's state at the first
	// frame (who is in it, muted, sharing) is told this way, at 0.
	OffRecord bool `json:"offRecord,omitempty"`
	at        time.Duration
}

// Timeline is what happened in one recording.
type Timeline struct {
	// Recording is the file's name.
	Recording string `json:"recording"`
	// StartTime is the wall-clock time of the recording's first frame.
	StartTime time.Time `json:"startTime"`
	// Duration is the recording's length in seconds.
	Duration float64 `json:"duration"`
	Events   []Event `json:"events"`
	duration time.Duration
}

// A note just after the end still belongs to the recording when it is its end signal: the
// recording ends a moment after it.
const endSignalSlack = 5 * time.Second

// A gap takes the reason of a pause note this close to it.
const gapReasonSlack = 5 * time.Second

// where a wall-clock time falls on a span.
type where int

const (
	before where = iota
	inside
	inGap
	after
)

// position is where wall-clock time t shows in the recording: time before the first frame
// shows at 0, time in a gap where the recording resumes.
func (s Span) position(t time.Time) (time.Duration, where) {
	d := t.Sub(s.Start)
	if d < 0 {
		return 0, before
	}
	var skipped time.Duration
	for _, g := range s.sortedGaps() {
		gapStart := g.At + skipped // on the wall clock, from Start
		if d < gapStart {
			break
		}
		if d < gapStart+g.Duration {
			return g.At, inGap
		}
		skipped += g.Duration
	}
	pos := d - skipped
	if pos > s.Duration {
		return s.Duration, after
	}
	return pos, inside
}

func (s Span) sortedGaps() []Gap {
	gaps := slices.Clone(s.Gaps)
	slices.SortStableFunc(gaps, func(a, b Gap) int { return cmp.Compare(a.At, b.At) })
	return gaps
}

// participant is what the builder knows of someone in the room.
type participant struct {
	name        string
	joined      time.Time
	audioMuted  bool
	videoOff    bool
	screenShare bool
	presenter   string
}

// room is who is in the room, in join order, and who speaks.
type room struct {
	order   []string
	in      map[string]*participant
	speaker string
	spoke   time.Time // when the speaker began speaking
}

func newRoom() *room { return &room{in: map[string]*participant{}} }

// apply changes the room by n; it says whether n changed anything (a second join of someone
// present, a mute of one muted already, change nothing).
func (r *room) apply(n *Note) bool {
	p := r.in[n.StreamID]
	if p != nil && n.Name == "" {
		n.Name = p.name
	}
	switch n.Kind {
	case Join, ScreenShareStart:
		if p != nil {
			return false
		}
		r.in[n.StreamID] = &participant{name: n.Name, joined: n.At, screenShare: n.Kind == ScreenShareStart, presenter: n.Presenter}
		r.order = append(r.order, n.StreamID)
		return true
	case Leave, ScreenShareStop:
		if p == nil {
			return false
		}
		if p.screenShare {
			n.Kind, n.Presenter = ScreenShareStop, p.presenter
		} else {
			n.Kind = Leave
		}
		delete(r.in, n.StreamID)
		if r.speaker == n.StreamID {
			r.speaker = "" // back, and speaking, is a change again
		}
		r.order = slices.DeleteFunc(r.order, func(id string) bool { return id == n.StreamID })
		return true
	case AudioMuted, AudioUnmuted:
		if p == nil || p.audioMuted == (n.Kind == AudioMuted) {
			return false
		}
		p.audioMuted = n.Kind == AudioMuted
		return true
	case VideoOff, VideoOn:
		if p == nil || p.videoOff == (n.Kind == VideoOff) {
			return false
		}
		p.videoOff = n.Kind == VideoOff
		return true
	case ActiveSpeaker:
		// The page names whom it hears; someone not in the room (a stray line) is nobody.
		if p == nil || n.StreamID == r.speaker {
			return false
		}
		r.speaker, r.spoke = n.StreamID, n.At
		return true
	}
	return true
}

// state is the room told as events at the first frame: who is in it and how.
func (r *room) state() []Event {
	var out []Event
	for _, id := range r.order {
		p := r.in[id]
		kind := Join
		if p.screenShare {
			kind = ScreenShareStart
		}
		out = append(out, Event{Type: kind, Time: p.joined, StreamID: id, Name: p.name, Presenter: p.presenter, OffRecord: true})
		if p.audioMuted {
			out = append(out, Event{Type: AudioMuted, Time: p.joined, StreamID: id, Name: p.name, OffRecord: true})
		}
		if p.videoOff {
			out = append(out, Event{Type: VideoOff, Time: p.joined, StreamID: id, Name: p.name, OffRecord: true})
		}
	}
	if p := r.in[r.speaker]; p != nil {
		out = append(out, Event{Type: ActiveSpeaker, Time: r.spoke, StreamID: r.speaker, Name: p.name, OffRecord: true})
	}
	return out
}

// Build places notes on the recording span describes. What happened before the first frame
// is told as the room's state at 0; what happened after the end is left out.
func Build(recording string, notes []Note, span Span) Timeline {
	notes = slices.Clone(notes)
	slices.SortStableFunc(notes, func(a, b Note) int { return a.At.Compare(b.At) })
	r := newRoom()
	var events []Event
	var startSignal *Note
	for i := range notes {
		n := notes[i]
		if n.Kind == Paused || n.Kind == Resumed {
			continue
		}
		pos, w := span.position(n.At)
		switch w {
		case before:
			if n.Kind == StartSignal {
				startSignal = &n
			}
			r.apply(&n)
			continue
		case after:
			if n.Kind != EndSignal || n.At.Sub(span.end()) > endSignalSlack {
				continue
			}
		}
		if !r.apply(&n) {
			continue
		}
		events = append(events, Event{Type: n.Kind, Time: n.At, StreamID: n.StreamID, Name: n.Name, Presenter: n.Presenter,
			Reason: n.Reason, OffRecord: w != inside, at: pos})
	}
	initial := r0(notes, span)
	if startSignal != nil {
		initial = append(initial, Event{Type: StartSignal, Time: startSignal.At, OffRecord: true})
	}
	events = append(initial, append(gapEvents(notes, span), events...)...)
	slices.SortStableFunc(events, func(a, b Event) int {
		if c := cmp.Compare(a.at, b.at); c != 0 {
			return c
		}
		return a.Time.Compare(b.Time)
	})
	for i := range events {
		events[i].At = seconds(events[i].at)
		events[i].Time = events[i].Time.UTC()
	}
	return Timeline{Recording: recording, StartTime: span.Start.UTC(), Duration: seconds(span.Duration), Events: events,
		duration: span.Duration}
}

// r0 is the room's state at the first frame, from the notes before it.
func r0(notes []Note, span Span) []Event {
	r := newRoom()
	for _, n := range notes {
		if !n.At.Before(span.Start) {
			break
		}
		r.apply(&n)
	}
	return r.state()
}

// end is the wall-clock time of the recording's last frame.
func (s Span) end() time.Time {
	end := s.Start.Add(s.Duration)
	for _, g := range s.Gaps {
		end = end.Add(g.Duration)
	}
	return end
}

// gapEvents marks each gap of the span with a pause and a resume, with the reason of the
// pause note nearest to it.
func gapEvents(notes []Note, span Span) []Event {
	var out []Event
	var skipped time.Duration
	for _, g := range span.sortedGaps() {
		from := span.Start.Add(g.At + skipped)
		to := from.Add(g.Duration)
		skipped += g.Duration
		reason := ""
		best := time.Duration(math.MaxInt64)
		for _, n := range notes {
			if (n.Kind != Paused && n.Kind != Resumed) || n.Reason == "" {
				continue
			}
			if n.At.Before(from.Add(-gapReasonSlack)) || n.At.After(to.Add(gapReasonSlack)) {
				continue
			}
			d := n.At.Sub(from)
			if n.Kind == Resumed {
				d = n.At.Sub(to)
			}
			if d = max(d, -d); d < best {
				best, reason = d, n.Reason
			}
		}
		out = append(out, Event{Type: Paused, Time: from, Reason: reason, at: g.At},
			Event{Type: Resumed, Time: to, Reason: reason, OffRecord: false, at: g.At})
	}
	return out
}

// seconds is d in seconds, to the millisecond.
func seconds(d time.Duration) float64 { return float64(d.Milliseconds()) / 1000 }

// JSON is the timeline as its JSON document.
func (t Timeline) JSON() ([]byte, error) {
	if t.Events == nil {
		t.Events = []Event{}
	}
	return json.MarshalIndent(t, "", "  ")
}
