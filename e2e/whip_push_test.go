package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestWHIPPushToAnotherNode pushes a session over WHIP into a second mediapush, where it plays
// like any published stream, and ends there when the session stops.
func TestWHIPPushToAnotherNode(t *testing.T) {
	a, b := startService(t), startService(t)
	if r := a.start("src", map[string]any{"url": a.page("test-pattern.html"), "width": 640, "height": 360}); !r.Success {
		t.Fatalf("start: %s", r.msg())
	}
	r := a.call(http.MethodPost, "/live/rest/v2/broadcasts/src/rtmp-endpoint", map[string]string{"whipUrl": b.base + "/live/whip/relayed"})
	if !r.Success || r.DataID == nil {
		t.Fatalf("adding the WHIP endpoint: %+v %s", r, r.msg())
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, _ := b.do(http.MethodGet, "/live/rest/v2/broadcasts/relayed", nil)
		if resp.StatusCode == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the pushed stream did not appear on the second node")
		}
		time.Sleep(200 * time.Millisecond)
	}
	v := b.whep(t, "relayed", "")
	for v.videoFrames.Load() < 30 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if v.videoFrames.Load() < 30 || v.audioPackets.Load() < 30 {
		t.Errorf("a viewer on the second node got %d frames and %d audio packets", v.videoFrames.Load(), v.audioPackets.Load())
	}
	var bc struct {
		EndPointList []struct {
			Status string `json:"status"`
			URL    string `json:"rtmpUrl"`
		} `json:"endPointList"`
	}
	_, body := a.do(http.MethodGet, "/live/rest/v2/broadcasts/src", nil)
	if err := json.Unmarshal(body, &bc); err != nil || len(bc.EndPointList) != 1 || bc.EndPointList[0].Status != "running" ||
		!strings.HasSuffix(bc.EndPointList[0].URL, "/live/whip/relayed") {
		t.Errorf("endpoint list on the first node: %s", body)
	}
	if r := a.stop("src"); !r.Success {
		t.Fatal(r.msg())
	}
	deadline = time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if resp, _ := b.do(http.MethodGet, "/live/rest/v2/broadcasts/relayed", nil); resp.StatusCode == http.StatusNotFound {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Error("the pushed stream outlived its session on the second node")
}
