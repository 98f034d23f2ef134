package timeline

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

var t0 = time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)

func find(t *testing.T, tl Timeline, kind Kind, id string) Event {
	t.Helper()
	for _, e := range tl.Events {
		if e.Type == kind && e.StreamID == id {
			return e
		}
	}
	t.Fatalf("no %s of %s in %+v", kind, id, tl.Events)
	return Event{}
}

func TestBuildPlacesNotesOnTheRecording(t *testing.T) {
	clock := &fakeClock{t: t0.Add(-5 * time.Second)}
	log := NewLog(clock.now)
	log.Add(Note{Kind: Join, StreamID: "alice", Name: "Alice"})
	clock.advance(time.Second)
	log.Add(Note{Kind: Join, StreamID: "bob", Name: "Bob"})
	log.Add(Note{Kind: AudioMuted, StreamID: "bob"})
	clock.advance(4 * time.Second) // the first frame
	clock.advance(10 * time.Second)
	log.Add(Note{Kind: Join, StreamID: "carol", Name: "Carol"})
	log.Add(Note{Kind: Join, StreamID: "carol", Name: "Carol"}) // told twice: once
	clock.advance(5 * time.Second)
	log.Add(Note{Kind: AudioUnmuted, StreamID: "bob"})
	log.Add(Note{Kind: ScreenShareStart, StreamID: "alice_presentation", Name: "Alice (screen)", Presenter: "alice"})
	clock.advance(5 * time.Second)
	log.Add(Note{Kind: Leave, StreamID: "bob"})
	log.Add(Note{Kind: Leave, StreamID: "alice_presentation"})
	clock.advance(10 * time.Second)
	log.Add(Note{Kind: EndSignal})
	clock.advance(time.Second)
	log.Add(Note{Kind: Join, StreamID: "late", Name: "Late"}) // after the last frame

	tl := Build("room1_composite-20250304-100000.mp4", log.Notes(), Span{Start: t0, Duration: 30 * time.Second})

	alice := find(t, tl, Join, "alice")
	if alice.At != 0 || !alice.OffRecord || !alice.Time.Equal(t0.Add(-5*time.Second)) || alice.Name != "Alice" {
		t.Errorf("alice, in the room before the first frame: %+v", alice)
	}
	if m := find(t, tl, AudioMuted, "bob"); m.At != 0 || !m.OffRecord {
		t.Errorf("bob muted before the first frame: %+v", m)
	}
	if c := find(t, tl, Join, "carol"); c.At != 10 || c.OffRecord {
		t.Errorf("carol's join: %+v", c)
	}
	if u := find(t, tl, AudioUnmuted, "bob"); u.At != 15 || u.Name != "Bob" {
		t.Errorf("bob's unmute, named from his join: %+v", u)
	}
	if s := find(t, tl, ScreenShareStart, "alice_presentation"); s.At != 15 || s.Presenter != "alice" {
		t.Errorf("screen share: %+v", s)
	}
	if s := find(t, tl, ScreenShareStop, "alice_presentation"); s.At != 20 || s.Presenter != "alice" {
		t.Errorf("the screen share's end, told as a leave: %+v", s)
	}
	if l := find(t, tl, Leave, "bob"); l.At != 20 {
		t.Errorf("bob's leave: %+v", l)
	}
	if e := find(t, tl, EndSignal, ""); e.At != 30 {
		t.Errorf("end signal just after the last frame: %+v", e)
	}
	joins := 0
	for _, e := range tl.Events {
		if e.Type == Join {
			joins++
		}
		if e.StreamID == "late" {
			t.Errorf("a join after the recording ended is listed: %+v", e)
		}
	}
	if joins != 3 {
		t.Errorf("%d joins, want 3 (carol once): %+v", joins, tl.Events)
	}

	b, err := tl.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Recording string  `json:"recording"`
		StartTime string  `json:"startTime"`
		Duration  float64 `json:"duration"`
		Events    []struct {
			Type     string  `json:"type"`
			At       float64 `json:"at"`
			Time     string  `json:"time"`
			StreamID string  `json:"streamId"`
			Name     string  `json:"name"`
		} `json:"events"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("JSON: %v\n%s", err, b)
	}
	if doc.StartTime != "2025-03-04T10:00:00Z" || doc.Duration != 30 || doc.Events[0].Type != "join" || doc.Events[0].Time != "2025-03-04T09:59:55Z" {
		t.Errorf("JSON document:\n%s", b)
	}

	vtt := string(tl.WebVTT())
	want := []string{
		"00:00:00.000 --> 00:00:10.000\nAlice, Bob\n",
		"00:00:10.000 --> 00:00:15.000\nCarol joins (Alice, Bob, Carol)\n",
		"00:00:15.000 --> 00:00:20.000\nAlice shares a screen (Alice, Bob, Carol)\n",
		"00:00:20.000 --> 00:00:30.000\nBob leaves; Alice stops sharing (Alice, Carol)\n",
	}
	for _, w := range want {
		if !strings.Contains(vtt, w) {
			t.Errorf("WebVTT lacks %q:\n%s", w, vtt)
		}
	}
	checkCues(t, vtt, 4)
}

func TestBuildAcrossAPause(t *testing.T) {
	// Part 1 from t0 for 20 s, nothing for 10 s (recording turned off), part 2 for 30 s: the
	// merged file is 50 s long, its gap at 20 s.
	span := Span{Start: t0, Duration: 50 * time.Second, Gaps: []Gap{{At: 20 * time.Second, Duration: 10 * time.Second}}}
	notes := []Note{
		{Kind: Join, At: t0.Add(5 * time.Second), StreamID: "a", Name: "Ann"},
		{Kind: Paused, At: t0.Add(20 * time.Second), Reason: "recording turned off"},
		{Kind: Join, At: t0.Add(25 * time.Second), StreamID: "b", Name: "Ben"}, // in the pause
		{Kind: Resumed, At: t0.Add(30 * time.Second), Reason: "recording turned on"},
		{Kind: Leave, At: t0.Add(40 * time.Second), StreamID: "a"},
	}
	tl := Build("x-merged.mp4", notes, span)
	if e := find(t, tl, Join, "a"); e.At != 5 || e.OffRecord {
		t.Errorf("join in part 1: %+v", e)
	}
	if e := find(t, tl, Join, "b"); e.At != 20 || !e.OffRecord || !e.Time.Equal(t0.Add(25*time.Second)) {
		t.Errorf("join during the pause, placed where recording resumes: %+v", e)
	}
	if e := find(t, tl, Leave, "a"); e.At != 30 {
		t.Errorf("leave in part 2, 40 s after the start less the 10 s pause: %+v", e)
	}
	p, r := find(t, tl, Paused, ""), find(t, tl, Resumed, "")
	if p.At != 20 || r.At != 20 || !p.Time.Equal(t0.Add(20*time.Second)) || !r.Time.Equal(t0.Add(30*time.Second)) || p.Reason != "recording turned off" {
		t.Errorf("the pause: %+v, %+v", p, r)
	}
	var order []Kind
	for _, e := range tl.Events {
		order = append(order, e.Type)
	}
	if got := strings.Join(kindStrings(order), " "); got != "join paused join resumed leave" {
		t.Errorf("events in order: %s", got)
	}
	vtt := string(tl.WebVTT())
	for _, w := range []string{
		"00:00:00.000 --> 00:00:05.000\nnobody in the room\n",
		"00:00:05.000 --> 00:00:20.000\nAnn joins (Ann)\n",
		"00:00:20.000 --> 00:00:30.000\nBen joins; recording resumes (Ann, Ben)\n",
		"00:00:30.000 --> 00:00:50.000\nAnn leaves (Ben)\n",
	} {
		if !strings.Contains(vtt, w) {
			t.Errorf("WebVTT lacks %q:\n%s", w, vtt)
		}
	}
	checkCues(t, vtt, 4)
}

func TestBuildCrashGapInsideAPart(t *testing.T) {
	// Two crash gaps: 3 s at 10 s, 2 s at 20 s in the file.
	span := Span{Start: t0, Duration: 30 * time.Second, Gaps: []Gap{{At: 20 * time.Second, Duration: 2 * time.Second}, {At: 10 * time.Second, Duration: 3 * time.Second}}}
	notes := []Note{
		{Kind: Paused, At: t0.Add(14 * time.Second), Reason: "the browser crashed"},
		{Kind: Join, At: t0.Add(16 * time.Second), StreamID: "a"}, // file 13 s
		{Kind: Join, At: t0.Add(26 * time.Second), StreamID: "b"}, // file 21 s
	}
	tl := Build("x.mp4", notes, span)
	if e := find(t, tl, Join, "a"); e.At != 13 {
		t.Errorf("after the first gap: %+v", e)
	}
	if e := find(t, tl, Join, "b"); e.At != 21 {
		t.Errorf("after both gaps: %+v", e)
	}
	if p := find(t, tl, Paused, ""); p.At != 10 || p.Reason != "the browser crashed" {
		t.Errorf("first gap: %+v", p)
	}
	checkCues(t, string(tl.WebVTT()), 5) // each resume starts a chapter
}

func TestWebVTTNamesAreText(t *testing.T) {
	notes := []Note{{Kind: Join, At: t0.Add(time.Second), StreamID: "x", Name: "<b>Eve</b> -->\n00:00 & co"}}
	vtt := string(Build("x.mp4", notes, Span{Start: t0, Duration: 5 * time.Second}).WebVTT())
	if strings.Contains(vtt, "<b>") || strings.Count(vtt, "-->") != 2 || !strings.Contains(vtt, "&lt;b&gt;Eve&lt;/b&gt; --&gt; 00:00 &amp; co joins") {
		t.Errorf("a name with markup, an arrow and a line break:\n%s", vtt)
	}
	checkCues(t, vtt, 2)
}

func TestEmptyTimeline(t *testing.T) {
	tl := Build("x.mp4", nil, Span{Start: t0})
	b, err := tl.JSON()
	if err != nil || !strings.Contains(string(b), `"events": []`) {
		t.Errorf("JSON of nothing: %s %v", b, err)
	}
	if vtt := string(tl.WebVTT()); vtt != "WEBVTT\n" {
		t.Errorf("WebVTT of a recording of no length: %q", vtt)
	}
}

func kindStrings(ks []Kind) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = string(k)
	}
	return out
}

var cueTiming = regexp.MustCompile(`^(\d\d):(\d\d):(\d\d)\.(\d\d\d) --> (\d\d):(\d\d):(\d\d)\.(\d\d\d)$`)

// checkCues parses vtt as a player would: the header, then cues of an id, a timing line and
// text, each starting where the last ended and ending after it starts.
func checkCues(t *testing.T, vtt string, want int) {
	t.Helper()
	blocks := strings.Split(strings.TrimSpace(vtt), "\n\n")
	if blocks[0] != "WEBVTT" {
		t.Fatalf("no WEBVTT header: %q", vtt)
	}
	var last time.Duration
	for _, b := range blocks[1:] {
		lines := strings.Split(b, "\n")
		if len(lines) != 3 {
			t.Fatalf("cue %q: want id, timing, one line of text", b)
		}
		m := cueTiming.FindStringSubmatch(lines[1])
		if m == nil {
			t.Fatalf("cue timing %q", lines[1])
		}
		from, to := parseVTT(m[1:5]), parseVTT(m[5:9])
		if from != last || to <= from {
			t.Errorf("cue %q: from %s to %s after a cue ending at %s", lines[1], from, to, last)
		}
		last = to
	}
	if len(blocks)-1 != want {
		t.Errorf("%d cues, want %d:\n%s", len(blocks)-1, want, vtt)
	}
}

func parseVTT(f []string) time.Duration {
	var n [4]int
	for i, s := range f {
		for _, c := range s {
			n[i] = n[i]*10 + int(c-'0')
		}
	}
	return time.Duration(n[0])*time.Hour + time.Duration(n[1])*time.Minute + time.Duration(n[2])*time.Second + time.Duration(n[3])*time.Millisecond
}
