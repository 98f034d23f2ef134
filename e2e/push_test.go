package e2e

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"mediapush/internal/mediacheck"
	"mediapush/internal/rtmptest"
)

// endpoint is a push as GET broadcasts/{id} lists it in endPointList.
type endpoint struct {
	ID       string `json:"endpointServiceId"`
	RTMPURL  string `json:"rtmpUrl"`
	Status   string `json:"status"`
	Restarts int    `json:"restarts"`
	Error    string `json:"error"`
}

// endpoints returns a broadcast's state, its pushes and its raw JSON: the raw answer is what
// must not carry a stream key anywhere, whichever field would leak it.
func (s *service) endpoints(streamID string) (string, []endpoint, string) {
	s.t.Helper()
	var b struct {
		State        string     `json:"state"`
		EndPointList []endpoint `json:"endPointList"`
	}
	resp, out := s.do(http.MethodGet, "/live/rest/v2/broadcasts/"+streamID, nil)
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("broadcast %s: HTTP %d: %s", streamID, resp.StatusCode, out)
	}
	if err := json.Unmarshal(out, &b); err != nil {
		s.t.Fatalf("broadcast %s: %v: %s", streamID, err, out)
	}
	return b.State, b.EndPointList, string(out)
}

// keyCheck looks for a stream key in what the API answers. A push that fails is exactly when
// ffmpeg's messages, which name the whole URL, could reach an answer; one report is enough.
type keyCheck struct {
	key    string
	leaked bool
}

func (k *keyCheck) check(t *testing.T, where, text string) {
	t.Helper()
	i := strings.Index(text, k.key)
	if i < 0 || k.leaked {
		return
	}
	k.leaked = true
	from, to := max(i-100, 0), min(i+len(k.key)+40, len(text))
	t.Errorf("%s shows the stream key %q: …%s…", where, k.key, text[from:to])
}

// waitEndpoint polls the broadcast until its endpoint id satisfies ok and returns it with how
// long that took and the states it went through. Every answer on the way is checked for the
// stream key.
func (s *service) waitEndpoint(t *testing.T, streamID, id string, key *keyCheck, what string, within time.Duration, ok func(endpoint) bool) (endpoint, time.Duration, []string) {
	t.Helper()
	begin := time.Now()
	var last endpoint
	var states []string
	for {
		_, eps, raw := s.endpoints(streamID)
		key.check(t, "the broadcast's endPointList", raw)
		for _, e := range eps {
			if e.ID != id {
				continue
			}
			last = e
			if len(states) == 0 || states[len(states)-1] != e.Status {
				states = append(states, e.Status)
			}
			if ok(e) {
				return e, time.Since(begin), states
			}
		}
		if time.Since(begin) > within {
			t.Fatalf("endpoint %s not %s within %s (states seen %v); last seen %+v (all: %+v)", id, what, within, states, last, eps)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitFLVGrows waits until the server holds at least n recordings of stream and the newest
// has grown past size while being watched: nginx is taking media, not just a connection.
func waitFLVGrows(t *testing.T, srv *rtmptest.Server, stream string, n int, size int64, within time.Duration) string {
	t.Helper()
	begin := time.Now()
	var first int64 = -1
	for {
		if recs := srv.Recordings(stream); len(recs) >= n {
			if fi, err := os.Stat(recs[len(recs)-1]); err == nil {
				if first < 0 {
					first = fi.Size()
				}
				if fi.Size() > first && fi.Size() >= size {
					return recs[len(recs)-1]
				}
			}
		}
		if time.Since(begin) > within {
			t.Fatalf("recording %d of %s did not grow past %d bytes within %s: %q", n, stream, size, within, srv.Recordings(stream))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitStill waits until a file has stopped growing: nginx writes a recording until the
// publisher's connection is gone, which may be a moment after stop answers.
func waitStill(path string, within time.Duration) {
	deadline := time.Now().Add(within)
	last := int64(-1)
	for time.Now().Before(deadline) {
		fi, err := os.Stat(path)
		if err == nil && fi.Size() == last {
			return
		}
		if err == nil {
			last = fi.Size()
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// TestRTMPPushSurvivesServerLoss pushes a recorded session to a real RTMP server (nginx),
// kills the server mid-push and brings it back: the push retries and resumes on its own, the
// session and its recording carry on as if nothing happened, and the stream key stays hidden.
func TestRTMPPushSurvivesServerLoss(t *testing.T) {
	srv := rtmptest.Start(t)
	s := startService(t)
	const id, stream = "push-loss", "s3cr3t-stream-key"
	key := &keyCheck{key: stream}

	r := s.start(id, map[string]any{"url": s.page("test-pattern.html?freq=440"), "width": 640, "height": 360, "recordType": "mp4"})
	started := time.Now() // start answers once the first frame is in
	if !r.Success {
		t.Fatalf("start: %s", r.msg())
	}
	r = s.call(http.MethodPost, "/live/rest/v2/broadcasts/"+id+"/rtmp-endpoint", map[string]any{"rtmpUrl": srv.URL(stream)})
	if !r.Success || r.DataID == nil || *r.DataID == "" {
		t.Fatalf("add endpoint: %+v %s", r, r.msg())
	}
	eid := *r.DataID
	key.check(t, "the answer to adding the endpoint", r.msg())
	running := func(e endpoint) bool { return e.Status == "running" }

	// Pushing: the endpoint says running and nginx records.
	ep, took, states := s.waitEndpoint(t, id, eid, key, "running", 15*time.Second, running)
	firstFLV := waitFLVGrows(t, srv, stream, 1, 50<<10, 15*time.Second)
	t.Logf("push %v %s after it was added; nginx records %s", states, took.Round(time.Millisecond), filepath.Base(firstFLV))
	if want := strings.TrimSuffix(srv.URL(stream), stream) + "****"; ep.RTMPURL != want {
		t.Errorf("endpoint rtmpUrl %q, want %q (the key hidden)", ep.RTMPURL, want)
	}
	time.Sleep(time.Second) // a little more media in the first file

	// The server goes away mid-push: the push notices and retries; the session is untouched.
	srv.Stop()
	killed := time.Now()
	ep, took, _ = s.waitEndpoint(t, id, eid, key, "retrying", 15*time.Second, func(e endpoint) bool { return e.Status == "retrying" })
	t.Logf("push retrying %s after the server was killed: %q", took.Round(time.Millisecond), ep.Error)
	if ep.Error == "" {
		t.Errorf("a retrying endpoint gives no error: %+v", ep)
	}
	if state, _, _ := s.endpoints(id); state != "ACTIVE" {
		t.Errorf("session %s while its push retries, want ACTIVE", state)
	}
	time.Sleep(time.Until(killed.Add(3 * time.Second)))
	if state, eps, raw := s.endpoints(id); state != "ACTIVE" || len(eps) != 1 || eps[0].Restarts < 1 {
		t.Errorf("3 s without a server: session %s, endpoints %+v; want ACTIVE and a push that has retried", state, eps)
	} else {
		key.check(t, "the broadcast's endPointList", raw)
		t.Logf("3 s without a server: push %s, %d restarts", eps[0].Status, eps[0].Restarts)
	}

	// Back again: the push connects by itself and nginx records a second file.
	srv.Restart(t)
	back := time.Now()
	ep, took, states = s.waitEndpoint(t, id, eid, key, "running again", 45*time.Second,
		func(e endpoint) bool { return running(e) && e.Restarts >= 1 })
	secondFLV := waitFLVGrows(t, srv, stream, 2, 50<<10, 45*time.Second)
	t.Logf("push %v again %s after the server came back (%s after the kill, %d restarts); nginx records %s",
		states, took.Round(time.Millisecond), time.Since(killed).Round(time.Millisecond), ep.Restarts, filepath.Base(secondFLV))
	if state, _, _ := s.endpoints(id); state != "ACTIVE" {
		t.Errorf("session %s after the push recovered, want ACTIVE", state)
	}
	time.Sleep(3 * time.Second) // the second file must last more than 2 s

	stopAt := time.Now()
	if r := s.stop(id); !r.Success {
		t.Fatalf("stop: %s", r.msg())
	}
	pushed := stopAt.Sub(started)
	t.Logf("session of %s, stopped in %s; the server was gone for %s", pushed.Round(time.Millisecond),
		time.Since(stopAt).Round(time.Millisecond), back.Sub(killed).Round(time.Millisecond))
	if b := s.broadcast(id); b.State != "COMPLETE" {
		t.Errorf("broadcast after stop: %+v", b)
	}

	// The recording is whole: the push's trouble cost it nothing.
	checkRecording(t, s.download(s.vodOf(id)), "h264", "aac", 640, 360, pushed, 25)

	// What nginx recorded: the page's H264 as sent and AAC, before and after the loss.
	recs := srv.Recordings(stream)
	if len(recs) != 2 {
		t.Fatalf("nginx recorded %q, want the file cut by the kill and the one after the restart", recs)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for i, rec := range recs {
		waitStill(rec, 5*time.Second)
		info, err := mediacheck.Probe(ctx, rec)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(rec), err)
			continue
		}
		if v := info.Video; v == nil || v.Codec != "h264" || v.Width != 640 || v.Height != 360 {
			t.Errorf("%s: video %+v, want h264 640x360", filepath.Base(rec), v)
		}
		if a := info.Audio; a == nil || a.Codec != "aac" {
			t.Errorf("%s: audio %+v, want aac", filepath.Base(rec), a)
		}
		var frames int64
		if info.Video != nil {
			frames = info.Video.Frames
		}
		t.Logf("%s: %s, %d video frames, %d bytes", filepath.Base(rec), info.Duration, frames, info.Size)
		if i == 1 && info.Duration <= 2*time.Second {
			t.Errorf("the recording after the restart lasts %s, want > 2 s", info.Duration)
		}
	}
}

// TestRTMPEndpointBadInput checks that bad push requests are refused with a message naming the
// problem and leave the session as it was, and that a push to a server that is not there says
// so and can be removed.
func TestRTMPEndpointBadInput(t *testing.T) {
	s := startService(t)
	const id = "push-bad"
	if r := s.start(id, map[string]any{"url": s.page("test-pattern.html"), "width": 320, "height": 240}); !r.Success {
		t.Fatalf("start: %s", r.msg())
	}
	// Calls are bounded (see service.do): a push that cannot be removed fails the test.
	call := func(method, path string, body any) (int, result) {
		t.Helper()
		resp, out := s.do(method, path, body)
		var r result
		if err := json.Unmarshal(out, &r); err != nil {
			t.Fatalf("%s %s: answer is not a Result: %s", method, path, out)
		}
		return resp.StatusCode, r
	}
	add := func(streamID string, body any) (int, result) {
		t.Helper()
		return call(http.MethodPost, "/live/rest/v2/broadcasts/"+streamID+"/rtmp-endpoint", body)
	}
	remove := func(streamID, eid string) (int, result) {
		t.Helper()
		return call(http.MethodDelete, "/live/rest/v2/broadcasts/"+streamID+"/rtmp-endpoint?endpointServiceId="+eid, nil)
	}

	bad := []struct {
		name string
		body any
		want string
	}{
		{"http URL", map[string]any{"rtmpUrl": "http://example.com/live/key"}, "is not an rtmp:// or rtmps:// URL"},
		{"no path", map[string]any{"rtmpUrl": "rtmp://example.com"}, "names no application and stream"},
		{"only a slash", map[string]any{"rtmpUrl": "rtmp://example.com/"}, "names no application and stream"},
		{"no host", map[string]any{"rtmpUrl": "rtmp:///live/key"}, "names no host"},
		{"garbage", map[string]any{"rtmpUrl": "not a url at all"}, "is not an rtmp:// or rtmps:// URL"},
		{"control character", map[string]any{"rtmpUrl": "rtmp://exa\x7fmple.com/live/key"}, "is not an rtmp:// or rtmps:// URL"},
		{"empty", map[string]any{"rtmpUrl": ""}, "is not an rtmp:// or rtmps:// URL"},
		{"broken JSON", `{"rtmpUrl": `, "not valid JSON"},
	}
	for _, c := range bad {
		code, r := add(id, c.body)
		if r.Success || code != http.StatusBadRequest || !strings.Contains(r.msg(), c.want) {
			t.Errorf("%s: HTTP %d %+v %q; want 400, success:false naming %q", c.name, code, r, r.msg(), c.want)
		}
	}
	// A stream key in a refused URL is not echoed back either.
	refused := &keyCheck{key: "hush-hush"}
	_, r := add(id, map[string]any{"rtmpUrl": "http://example.com/live/hush-hush"})
	refused.check(t, "the refusal of an http URL", r.msg())
	if state, eps, _ := s.endpoints(id); state != "ACTIVE" || len(eps) != 0 {
		t.Errorf("after refused endpoints: session %s, endpoints %+v; want ACTIVE and none", state, eps)
	}

	// Removing what is not there.
	if code, r := remove(id, "0123456789ab"); r.Success || code != http.StatusNotFound || !strings.Contains(r.msg(), "has no endpoint 0123456789ab") {
		t.Errorf("remove unknown endpoint: HTTP %d %q; want 404 naming it", code, r.msg())
	}
	if code, r := remove(id, ""); r.Success || code != http.StatusBadRequest || !strings.Contains(r.msg(), "endpointServiceId is mandatory") {
		t.Errorf("remove without an id: HTTP %d %q; want 400", code, r.msg())
	}

	// A push to a port where nothing listens: accepted (the server may come up later), it
	// retries and says why; the same URL twice is refused; it can be removed.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	nowhere := "rtmp://" + ln.Addr().String() + "/live/closed-port-key"
	ln.Close()
	key := &keyCheck{key: "closed-port-key"}
	code, r := add(id, map[string]any{"rtmpUrl": nowhere})
	if !r.Success || r.DataID == nil {
		t.Fatalf("add a push to a closed port: HTTP %d %q", code, r.msg())
	}
	eid := *r.DataID
	if code, r := add(id, map[string]any{"rtmpUrl": nowhere}); r.Success || code != http.StatusConflict || !strings.Contains(r.msg(), "pushes to this URL already") {
		t.Errorf("the same URL twice: HTTP %d %q; want 409", code, r.msg())
	}
	ep, took, states := s.waitEndpoint(t, id, eid, key, "retrying after a refused connection", 15*time.Second,
		func(e endpoint) bool {
			return e.Status == "retrying" && strings.Contains(e.Error, "Connection refused")
		})
	t.Logf("push to a closed port: %v, retrying %s after it was added (%d restarts)", states, took.Round(time.Millisecond), ep.Restarts)
	if slices.Contains(states, "running") {
		t.Errorf("a push to a closed port said running on the way: %v", states)
	}
	if state, _, _ := s.endpoints(id); state != "ACTIVE" {
		t.Errorf("session %s while its push fails, want ACTIVE", state)
	}
	begin := time.Now()
	if code, r := remove(id, eid); !r.Success || code != http.StatusOK {
		t.Errorf("remove the push: HTTP %d %q", code, r.msg())
	}
	t.Logf("the failing push removed in %s", time.Since(begin))
	if state, eps, _ := s.endpoints(id); state != "ACTIVE" || len(eps) != 0 {
		t.Errorf("after removing the push: session %s, endpoints %+v", state, eps)
	}
	if code, r := remove(id, eid); r.Success || code != http.StatusNotFound {
		t.Errorf("remove it twice: HTTP %d %q; want 404", code, r.msg())
	}

	// Streams that are not running, never started or stopped: as in Ant Media, the endpoint is
	// accepted and waits for the stream's next session.
	if r := s.stop(id); !r.Success {
		t.Fatalf("stop: %s", r.msg())
	}
	for _, sid := range []string{"nobody", id} {
		code, r := add(sid, map[string]any{"rtmpUrl": nowhere})
		if !r.Success || code != http.StatusOK || r.DataID == nil {
			t.Errorf("endpoint on %s: HTTP %d %q; want it accepted, waiting", sid, code, r.msg())
			continue
		}
		if _, eps, raw := s.endpoints(sid); len(eps) != 1 || eps[0].Status != "created" || eps[0].ID != *r.DataID {
			t.Errorf("the waiting endpoint of %s: %s", sid, raw)
		}
		if code, r := remove(sid, "0123456789ab"); r.Success || code != http.StatusNotFound {
			t.Errorf("remove an unknown endpoint of %s: HTTP %d %q; want 404", sid, code, r.msg())
		}
		if code, r2 := remove(sid, *r.DataID); !r2.Success || code != http.StatusOK {
			t.Errorf("remove the waiting endpoint of %s: HTTP %d %q", sid, code, r2.msg())
		}
	}
}
