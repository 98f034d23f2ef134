package timeline

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// speakers are the timeline's active-speaker events as "id@seconds", offRecord marked "*".
func speakers(tl Timeline) []string {
	var out []string
	for _, e := range tl.Events {
		if e.Type != ActiveSpeaker {
			continue
		}
		s := fmt.Sprintf("%s@%gs", e.StreamID, e.At)
		if e.OffRecord {
			s += "*"
		}
		out = append(out, s)
	}
	return out
}

func TestBuildActiveSpeakers(t *testing.T) {
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	notes := []Note{
		{Kind: Join, At: at(-5), StreamID: "alice", Name: "Alice"},
		{Kind: Join, At: at(-4), StreamID: "bob", Name: "Bob"},
		{Kind: ActiveSpeaker, At: at(-2), StreamID: "bob"},  // speaking as the recording begins
		{Kind: StartSignal, At: at(1.5)},                    // the page's start, after the first frame
		{Kind: ActiveSpeaker, At: at(2), StreamID: "bob"},   // still bob: no change
		{Kind: ActiveSpeaker, At: at(3), StreamID: "alice"}, // alice takes over
		{Kind: ActiveSpeaker, At: at(4), StreamID: "mallory"},
		{Kind: ActiveSpeaker, At: at(6), StreamID: "bob"},
		{Kind: Leave, At: at(8), StreamID: "bob"},
		{Kind: Join, At: at(9), StreamID: "bob", Name: "Bob"},
		{Kind: ActiveSpeaker, At: at(10), StreamID: "bob"}, // back after leaving: a change again
		{Kind: ActiveSpeaker, At: at(11), StreamID: "alice"},
		{Kind: ActiveSpeaker, At: at(13), StreamID: "bob"},   // in the pause: where it resumes
		{Kind: ActiveSpeaker, At: at(40), StreamID: "alice"}, // after the end
	}
	span := Span{Start: t0, Duration: 20 * time.Second, Gaps: []Gap{{At: 12 * time.Second, Duration: 3 * time.Second}}}
	tl := Build("room_composite.mp4", notes, span)

	want := []string{"bob@0s*", "alice@3s", "bob@6s", "bob@10s", "alice@11s", "bob@12s*"}
	if got := speakers(tl); !slices.Equal(got, want) {
		t.Errorf("active speakers %v, want %v", got, want)
	}
	if e := find(t, tl, ActiveSpeaker, "alice"); e.Name != "Alice" || !e.Time.Equal(at(3)) {
		t.Errorf("alice's turn, named from her join and dated when the page said it: %+v", e)
	}
	if e := find(t, tl, StartSignal, ""); e.At != 1.5 || e.OffRecord {
		t.Errorf("the page's start signal, given after the first frame: %+v", e)
	}

	// The chapters follow who is in the room, not who speaks: a lively conversation would
	// otherwise make a chapter every second or two.
	vtt := string(tl.WebVTT())
	checkCues(t, vtt, 4)
	if strings.Contains(vtt, "speak") {
		t.Errorf("chapters tell who speaks:\n%s", vtt)
	}
}
