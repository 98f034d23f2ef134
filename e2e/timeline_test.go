package e2e

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// timelineEvent is one event of a recording's timeline document.
type timelineEvent struct {
	Type      string    `json:"type"`
	At        float64   `json:"at"`
	Time      time.Time `json:"time"`
	StreamID  string    `json:"streamId"`
	Name      string    `json:"name"`
	Presenter string    `json:"presenter"`
	OffRecord bool      `json:"offRecord"`
}

// recordingTimeline is what a room recording's VoD lists beside it: its events and its
// WebVTT chapters, fetched through the VoD's URLs.
type recordingTimeline struct {
	Recording string          `json:"recording"`
	Events    []timelineEvent `json:"events"`
	chapters  []vttCue
}

type vttCue struct {
	from, to time.Duration
	text     string
}

// timelineOf downloads the timeline of a VoD, which must have one.
func (s *service) timelineOf(v vod) recordingTimeline {
	s.t.Helper()
	if v.Timeline == nil || v.Timeline.JSON == "" || v.Timeline.WebVTT == "" {
		s.t.Fatalf("VoD %s lists no timeline: %+v", v.VodName, v)
	}
	resp, body := s.do(http.MethodGet, v.Timeline.JSON, nil)
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("timeline %s: HTTP %d", v.Timeline.JSON, resp.StatusCode)
	}
	var tl recordingTimeline
	if err := json.Unmarshal(body, &tl); err != nil {
		s.t.Fatalf("timeline %s: %v\n%s", v.Timeline.JSON, err, body)
	}
	if tl.Recording != v.VodName {
		s.t.Errorf("the timeline is of %q, its VoD's file is %q", tl.Recording, v.VodName)
	}
	resp, body = s.do(http.MethodGet, v.Timeline.WebVTT, nil)
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("chapters %s: HTTP %d", v.Timeline.WebVTT, resp.StatusCode)
	}
	tl.chapters = parseWebVTT(s.t, string(body))
	return tl
}

var vttTiming = regexp.MustCompile(`^(\d\d):(\d\d):(\d\d)\.(\d\d\d) --> (\d\d):(\d\d):(\d\d)\.(\d\d\d)$`)

// parseWebVTT reads WebVTT cues as a player does, and checks that each begins where the one
// before it ended and lasts a while.
func parseWebVTT(t testing.TB, vtt string) []vttCue {
	t.Helper()
	blocks := strings.Split(strings.TrimSpace(strings.ReplaceAll(vtt, "\r\n", "\n")), "\n\n")
	if blocks[0] != "WEBVTT" {
		t.Fatalf("chapters do not start with WEBVTT:\n%s", vtt)
	}
	var cues []vttCue
	var last time.Duration
	for _, b := range blocks[1:] {
		lines := strings.Split(b, "\n")
		i := 0
		if !strings.Contains(lines[0], "-->") {
			i = 1 // the cue's id
		}
		if len(lines) < i+2 {
			t.Fatalf("cue without text: %q", b)
		}
		m := vttTiming.FindStringSubmatch(lines[i])
		if m == nil {
			t.Fatalf("cue timing %q does not parse", lines[i])
		}
		c := vttCue{from: vttDuration(m[1:5]), to: vttDuration(m[5:9]), text: strings.Join(lines[i+1:], " ")}
		if c.from < last || c.to <= c.from {
			t.Errorf("cue %q after a cue ending at %s: times must increase", lines[i], last)
		}
		last = c.to
		cues = append(cues, c)
	}
	if len(cues) == 0 {
		t.Fatalf("no chapters:\n%s", vtt)
	}
	return cues
}

func vttDuration(f []string) time.Duration {
	var n [4]time.Duration
	for i, s := range f {
		for _, c := range s {
			n[i] = n[i]*10 + time.Duration(c-'0')
		}
	}
	return n[0]*time.Hour + n[1]*time.Minute + n[2]*time.Second + n[3]*time.Millisecond
}

// event finds the timeline's event of type for stream id.
func (tl recordingTimeline) event(t *testing.T, typ, id string) timelineEvent {
	t.Helper()
	for _, e := range tl.Events {
		if e.Type == typ && e.StreamID == id {
			return e
		}
	}
	t.Fatalf("the timeline has no %s of %q: %+v", typ, id, tl.Events)
	return timelineEvent{}
}

// expectAt checks that an event shows in the recording within a second of when the test saw
// it happen, measured from the recording's first frame (the VoD's startTime): events before
// the first frame show at 0.
func (tl recordingTimeline) expectAt(t *testing.T, typ, id string, happened time.Time, v vod) {
	t.Helper()
	e := tl.event(t, typ, id)
	want := max(happened.Sub(time.UnixMilli(v.StartTime)), 0)
	got := time.Duration(e.At * float64(time.Second))
	if d := got - want; d > time.Second || d < -time.Second {
		t.Errorf("%s of %s at %.3fs in the recording, the test saw it at %.3fs", typ, id, got.Seconds(), want.Seconds())
	}
	t.Logf("%s of %s (%s) at %.3fs in the recording, the test saw it at %.3fs", typ, id, e.Name, got.Seconds(), want.Seconds())
}

// chapterWith is the first chapter whose text holds all of parts.
func (tl recordingTimeline) chapterWith(t *testing.T, parts ...string) vttCue {
	t.Helper()
	for _, c := range tl.chapters {
		found := true
		for _, p := range parts {
			found = found && strings.Contains(c.text, p)
		}
		if found {
			return c
		}
	}
	t.Errorf("no chapter mentions %q: %+v", parts, tl.chapters)
	return vttCue{}
}
