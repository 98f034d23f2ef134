package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"mediapush/controller"
)

// TestSessionLengthLimit: a session that reaches its length limit stops by itself as if
// stopped, and its recording is kept, lasting the limit.
func TestSessionLengthLimit(t *testing.T) {
	const limit = 4 * time.Second
	s := startService(t, func(c *controller.Config) { c.Limits.MaxSessionLength = limit })
	const id = "length-limit"
	r := s.start(id, map[string]any{"url": s.page("test-pattern.html"), "width": 640, "height": 360, "recordType": "mp4"})
	if !r.Success {
		t.Fatalf("start: %s", r.msg())
	}
	b := s.waitState(id, "COMPLETE", limit+30*time.Second)
	if b.Reason != "the session reached its length limit of 4s" || b.Status != "finished" {
		t.Errorf("after the limit: %+v", b)
	}
	if r := s.stop(id); r.Success {
		t.Error("the session still answers stop after ending by itself")
	}
	v := s.vodOf(id)
	if v.Partial {
		t.Errorf("the recording is partial: %+v", v)
	}
	checkRecording(t, s.download(v), "h264", "aac", 640, 360, limit, 20)
}

// TestSessionLimit: with room for one session, a second start is refused through every API with
// a message naming the limit, leaves nothing behind, and the first session records on.
func TestSessionLimit(t *testing.T) {
	s := startService(t, func(c *controller.Config) { c.Limits.MaxSessions = 1 })
	body := map[string]any{"url": s.page("test-pattern.html"), "width": 640, "height": 360, "recordType": "mp4"}
	if r := s.start("first", body); !r.Success {
		t.Fatalf("first start: %s", r.msg())
	}
	began := time.Now()
	const want = "the server runs as many sessions as it allows (1); stop one or try again later"

	resp, out := s.do(http.MethodPost, "/live/rest/v1/media-push/start?streamId=second", body)
	var r result
	if err := json.Unmarshal(out, &r); err != nil || resp.StatusCode != http.StatusOK || r.Success || r.msg() != want {
		t.Errorf("second start: HTTP %d %s; want 200, success false, %q", resp.StatusCode, out, want)
	}
	if r := s.call(http.MethodPost, "/live/rest/v1/media-push/rooms/room1/recording/start", nil); r.Success || r.msg() != want {
		t.Errorf("room recording start: %+v %s", r, r.msg())
	}
	code, e := s.dolby(http.MethodPost, "/v2/conferences/mix/conf1/recording/start",
		map[string]any{"layoutUrl": s.page("test-pattern.html"), "width": 640, "height": 480}, nil)
	if code != http.StatusServiceUnavailable || e.Description != want {
		t.Errorf("Dolby mix start: HTTP %d %+v; want 503 with %q", code, e, want)
	}
	for _, id := range []string{"second", "room1_composite", "conf1_mix_default"} {
		if code := s.getJSON("/live/rest/v2/broadcasts/"+id, &broadcast{}); code != http.StatusNotFound {
			t.Errorf("refused %s left a broadcast: HTTP %d", id, code)
		}
	}

	time.Sleep(2 * time.Second)
	if b := s.broadcast("first"); b.State != "ACTIVE" {
		t.Errorf("the running session after the refusals: %+v", b)
	}
	stopAt := time.Now()
	if r := s.stop("first"); !r.Success {
		t.Fatalf("stop: %s", r.msg())
	}
	checkRecording(t, s.download(s.vodOf("first")), "h264", "aac", 640, 360, stopAt.Sub(began), 20)

	// The slot is free again.
	if r := s.start("second", body); !r.Success {
		t.Fatalf("start once the first ended: %s", r.msg())
	}
	if r := s.stop("second"); !r.Success {
		t.Errorf("stop: %s", r.msg())
	}
}

// TestPushLimit: one push more than a session may have is refused with 429; removing one makes
// room.
func TestPushLimit(t *testing.T) {
	s := startService(t, func(c *controller.Config) { c.Limits.MaxPushes = 1 })
	const id = "pushes"
	if r := s.start(id, map[string]any{"url": s.page("test-pattern.html"), "width": 640, "height": 360}); !r.Success {
		t.Fatalf("start: %s", r.msg())
	}
	add := func(target string) (int, result) {
		resp, out := s.do(http.MethodPost, "/live/rest/v2/broadcasts/"+id+"/rtmp-endpoint", map[string]any{"rtmpUrl": target})
		t.Helper()
		var r result
		if err := json.Unmarshal(out, &r); err != nil {
			t.Fatalf("add endpoint: %v: %s", err, out)
		}
		return resp.StatusCode, r
	}
	// Nothing listens there: the push retries, which is all this test needs of it.
	code, first := add("rtmp://127.0.0.1:9/live/one")
	if code != http.StatusOK || !first.Success || first.DataID == nil {
		t.Fatalf("first push: HTTP %d %+v", code, first)
	}
	code, r := add("rtmp://127.0.0.1:9/live/two")
	if code != http.StatusTooManyRequests || r.Success || r.msg() != "the session has as many pushes as allowed (1); remove one first" {
		t.Errorf("second push: HTTP %d %q", code, r.msg())
	}
	if _, eps, _ := s.endpoints(id); len(eps) != 1 || eps[0].ID != *first.DataID {
		t.Errorf("endpoints after the refusal: %+v", eps)
	}
	eid := *first.DataID
	if resp, out := s.do(http.MethodDelete, "/live/rest/v2/broadcasts/"+id+"/rtmp-endpoint?endpointServiceId="+eid, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("remove the first push: HTTP %d %s", resp.StatusCode, out)
	}
	if code, r := add("rtmp://127.0.0.1:9/live/two"); code != http.StatusOK || !r.Success {
		t.Errorf("a push once the first is removed: HTTP %d %q", code, r.msg())
	}
	if r := s.stop(id); !r.Success {
		t.Errorf("stop: %s", r.msg())
	}
}

// TestRoomLimits: a room takes as many publishers as allowed, a stream as many viewers; one more
// is refused with 429 and a message WHIP/WHEP clients show as it is.
func TestRoomLimits(t *testing.T) {
	s := startService(t, func(c *controller.Config) { c.Rooms.MaxPublishers, c.Rooms.MaxViewers = 2, 1 })
	const room = "capped"
	alice := s.join(t, room, member{id: "alice", name: "Alice", color: "red", tone: 440}, nil)
	s.join(t, room, member{id: "bob", name: "Bob", color: "lime", tone: 660}, nil)

	offer := offerOnly(t, webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000}, webrtc.RTPCodecTypeVideo)
	q := url.Values{"mainTrack": {room}, "name": {"Carol"}}
	code, body, loc := s.post("/live/whip/carol?"+q.Encode(), "application/sdp", offer, "")
	if code != http.StatusTooManyRequests || body != "room capped is full: it has as many publishers as allowed (2)\n" || loc != "" {
		t.Errorf("third publisher: HTTP %d %q (Location %q)", code, body, loc)
	}
	if p := s.participants(room); len(p) != 2 {
		t.Errorf("participants after the refusal: %+v", p)
	}
	code, body, loc = s.post("/live/whip/dave?mainTrack=elsewhere", "application/sdp", offer, "")
	if code != http.StatusCreated {
		t.Errorf("a publisher of another room: HTTP %d %q", code, body)
	} else if resp, out := s.do(http.MethodDelete, loc, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("DELETE %s: HTTP %d %s", loc, resp.StatusCode, out)
	}

	v := s.whep(t, "alice", "")
	code, body, _ = s.whepOffer(t, "alice")
	if code != http.StatusTooManyRequests || body != "stream alice has as many viewers as allowed (1)\n" {
		t.Errorf("second viewer: HTTP %d %q", code, body)
	}
	v.close(s)

	alice.Close()
	waitFor(t, "Alice to leave", 10*time.Second, func() bool { return len(s.participants(room)) == 1 })
	s.join(t, room, member{id: "carol", name: "Carol", color: "blue", tone: 880}, nil)
	if p := s.participants(room); len(p) != 2 {
		t.Errorf("after Alice left, Carol joined: %+v", p)
	}
}

// whepOffer asks to play streamID with a receive-only offer and returns the answer as it came.
func (s *service) whepOffer(t *testing.T, streamID string) (int, string, string) {
	t.Helper()
	pc, err := webrtc.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	for _, k := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
		if _, err := pc.AddTransceiverFromKind(k, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			t.Fatal(err)
		}
	}
	offer, _ := pc.CreateOffer(nil)
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	return s.post("/live/whep/"+streamID, "application/sdp", pc.LocalDescription().SDP, "")
}

// TestLowDiskEndsRecording: when free space falls below the minimum, the running recording is
// finished and kept (COMPLETE, with the reason), and starts are refused with a message naming
// the free space and the minimum. The free space is the test's.
func TestLowDiskEndsRecording(t *testing.T) {
	var free atomic.Uint64
	free.Store(10 << 30)
	s := startService(t, func(c *controller.Config) {
		c.Limits.MinFreeDisk = 1 << 30
		c.Limits.DiskCheckInterval = 200 * time.Millisecond
		c.Limits.FreeSpace = func(string) (uint64, error) { return free.Load(), nil }
	})
	const id = "disk"
	body := map[string]any{"url": s.page("test-pattern.html"), "width": 640, "height": 360, "recordType": "mp4"}
	if r := s.start(id, body); !r.Success {
		t.Fatalf("start: %s", r.msg())
	}
	began := time.Now()
	time.Sleep(3 * time.Second)
	free.Store(900 << 20)
	lowAt := time.Now()
	b := s.waitState(id, "COMPLETE", 30*time.Second)
	const low = "only 900 MiB is free on the data directory's disk, less than the 1 GiB kept free"
	if !strings.HasPrefix(b.Reason, low) {
		t.Errorf("after the disk filled: %+v; want the reason to start with %q", b, low)
	}
	v := s.vodOf(id)
	if v.Partial {
		t.Errorf("the recording is partial: %+v", v)
	}
	info := checkRecording(t, s.download(v), "h264", "aac", 640, 360, 0, 20)
	if info.Duration < lowAt.Sub(began)-500*time.Millisecond {
		t.Errorf("the recording lasts %s; %s were recorded before the disk filled", info.Duration, lowAt.Sub(began))
	}

	r := s.start("next", body)
	if r.Success || r.msg() != low+"; no session starts until space is freed" {
		t.Errorf("start with too little space: %+v %s", r, r.msg())
	}
	if code := s.getJSON("/live/rest/v2/broadcasts/next", &broadcast{}); code != http.StatusNotFound {
		t.Errorf("the refused start left a broadcast: HTTP %d", code)
	}
	free.Store(10 << 30)
	if r := s.start("next", body); !r.Success {
		t.Fatalf("start with space again: %s", r.msg())
	}
	if r := s.stop("next"); !r.Success {
		t.Errorf("stop: %s", r.msg())
	}
}
