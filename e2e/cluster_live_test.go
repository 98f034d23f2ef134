package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestClusterLiveView watches a session that runs on a worker node through the controller,
// as one running in the controller's process is watched: a WHEP viewer of the controller gets
// its video and audio, the session is listed once, and stopping the session ends the viewing.
func TestClusterLiveView(t *testing.T) {
	c := startCluster(t, nil, nil, nil)
	s := c.s
	page := map[string]any{"url": s.page("test-pattern.html"), "width": 640, "height": 360, "recordType": "mp4"}
	began := time.Now()
	if r := s.start("lv1", page); !r.Success {
		t.Fatalf("start: %s", r.msg())
	}
	node := s.workerOf("lv1")
	if node != "w1" && node != "w2" {
		t.Fatalf("lv1 runs on %q, want a worker node", node)
	}
	v := watchLive(t, s, "lv1", 30*time.Second)
	t.Logf("viewer of lv1 (on %s) through the controller %s after the start: %d video frames, %d audio packets, codec %v",
		node, time.Since(began).Round(time.Millisecond), v.videoFrames.Load(), v.audioPackets.Load(), v.videoCodecName.Load())

	var list []struct {
		StreamID string `json:"streamId"`
	}
	if code := s.getJSON("/live/rest/v2/broadcasts/list/0/50", &list); code != http.StatusOK {
		t.Fatalf("broadcast list: HTTP %d", code)
	}
	n := 0
	for _, b := range list {
		if b.StreamID == "lv1" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("lv1 listed %d times among the broadcasts, want once", n)
	}
	if b := s.broadcast("lv1"); b.State != "ACTIVE" {
		t.Errorf("lv1 while watched: %+v, want ACTIVE", b)
	}

	stopped := time.Now()
	if r := s.stop("lv1"); !r.Success {
		t.Fatalf("stop: %s", r.msg())
	}
	select {
	case <-v.ended:
		t.Logf("the viewer's connection ended %s after the stop was asked", time.Since(stopped).Round(time.Millisecond))
	case <-time.After(30 * time.Second):
		t.Fatal("the viewer's connection still runs 30 s after the session stopped")
	}
	if _, err := s.tryWHEP(t, "lv1", ""); err == nil || !strings.Contains(err.Error(), "HTTP 404") {
		t.Errorf("WHEP after the stop: %v, want HTTP 404 (not live)", err)
	}
	checkClusterVoD(t, s, "lv1")
}

// watchLive plays streamID through the controller until a viewer gets a second of its video
// and audio. The node sends the stream once media flows, so until then the controller has
// none; a stream still listed from a node that was lost sends nothing, so a viewer that gets
// nothing is replaced by a new one.
func watchLive(t *testing.T, s *service, streamID string, within time.Duration) *viewer {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		v, err := s.tryWHEP(t, streamID, "")
		if err != nil {
			time.Sleep(200 * time.Millisecond)
			continue
		}
		flowing := time.Now().Add(5 * time.Second)
		for time.Now().Before(flowing) {
			if v.videoFrames.Load() >= 30 && v.audioPackets.Load() >= 50 {
				return v
			}
			time.Sleep(100 * time.Millisecond)
		}
		v.close(s)
	}
	t.Fatalf("no viewer of %s through the controller got its video and audio within %s", streamID, within)
	return nil
}
