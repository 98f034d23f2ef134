package e2e

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"mediapush/controller"
)

// TestRoomActiveSpeaker records a room in the grid layout, without awaitStartSignal, where one
// participant speaks (a tone) and the others are silent: the timeline names her the active
// speaker from about when she began, and places the page's start and end signals when the
// page gave them.
func TestRoomActiveSpeaker(t *testing.T) {
	s := startService(t, func(c *controller.Config) {
		c.RoomURL = controller.DefaultRoomURL + "&endGrace=2"
	})
	const room, composite = "huddle", "huddle_composite"
	yan := s.join(t, room, member{"yan", "Yan", "lime", 0}, nil) // camera on, silent

	requested := time.Now()
	r := s.call(http.MethodPost, "/live/rest/v1/media-push/rooms/"+room+"/recording/start", nil)
	if !r.Success || r.DataID == nil || *r.DataID != composite {
		t.Fatalf("room recording start: %+v %s", r, r.msg())
	}
	s.waitShown(composite, "grid", []string{"yan"}, 20*time.Second)
	shown := time.Now() // the page signalled its start once yan played, before this
	time.Sleep(2 * time.Second)

	zoe := s.join(t, room, member{"zoe", "Zoe", "blue", 600}, nil)
	// Listed: the page finds her at its next poll and hears her at once.
	spoke := time.Now()
	xena := s.join(t, room, member{"xena", "Xena", "magenta", 0}, nil) // silent too
	deadline := time.Now().Add(10 * time.Second)
	for st := s.pageState(composite); !slices.Equal(st.Speaking, []string{"zoe"}); st = s.pageState(composite) {
		if time.Now().After(deadline) {
			t.Fatalf("the active speaker is %v, want [zoe] (the only one with sound)", st.Speaking)
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(3 * time.Second)
	for _, p := range []interface{ Close() error }{yan, zoe, xena} {
		p.Close()
	}
	emptied := time.Now()
	if b := s.waitState(composite, "COMPLETE", 40*time.Second); !strings.Contains(b.Reason, "signalled its end") {
		t.Errorf("the session completed with reason %q, want the page's end signal", b.Reason)
	}

	v := s.vodOf(composite)
	tl := s.timelineOf(v)
	begin := time.UnixMilli(v.StartTime)
	var turns []timelineEvent
	for _, e := range tl.Events {
		if e.Type == "activeSpeaker" {
			turns = append(turns, e)
		}
	}
	if len(turns) != 1 || turns[0].StreamID != "zoe" || turns[0].Name != "Zoe" || turns[0].OffRecord {
		t.Fatalf("active speakers %+v, want zoe once (the others are silent)", turns)
	}
	want := spoke.Sub(begin).Seconds()
	t.Logf("zoe is the active speaker at %.3fs in the recording; she was listed at %.3fs", turns[0].At, want)
	if d := turns[0].At - want; d < -0.5 || d > 1.5 {
		t.Errorf("zoe is the active speaker at %.3fs in the recording, %.3fs after she was listed; want within 1.5 s",
			turns[0].At, d)
	}

	// Without awaitStartSignal the recording begins at the page's first frame; its start
	// signal comes once yan plays (which may be before the capture's first frame: then it shows
	// at 0, off the record) and is placed when the page gave it.
	start := tl.event(t, "startSignal", "")
	if start.Time.Before(requested) || start.Time.After(shown) {
		t.Errorf("the start signal at %s: want it between the start call (%s) and the page showing yan (%s)",
			start.Time.Format(time.StampMilli), requested.UTC().Format(time.StampMilli), shown.UTC().Format(time.StampMilli))
	}
	if want := max(start.Time.Sub(begin).Seconds(), 0); start.At < want-0.002 || start.At > want+0.002 || start.OffRecord != (want == 0) {
		t.Errorf("the start signal %+v: want it at %.3fs in the recording, its first frame at %s", start, want,
			begin.UTC().Format(time.StampMilli))
	}
	// The end signal comes endGrace (2 s) after the room emptied, just before the last frame.
	end := tl.event(t, "endSignal", "")
	if end.Time.Before(emptied.Add(2*time.Second)) || end.At > float64(v.Duration)/1000+1 {
		t.Errorf("the end signal %+v: want it 2 s or more after the room emptied (%s), at the recording's end (%.3fs)",
			end, emptied.UTC().Format(time.StampMilli), float64(v.Duration)/1000)
	}
	t.Logf("start signal at %.3fs, end signal at %.3fs of %.3fs", start.At, end.At, float64(v.Duration)/1000)
	for _, c := range tl.chapters {
		if strings.Contains(c.text, "speak") {
			t.Errorf("a chapter tells who speaks: %q", c.text)
		}
	}
}
