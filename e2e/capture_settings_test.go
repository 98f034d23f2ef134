package e2e

import (
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"mediapush/catalog"
	"mediapush/controller"
	"mediapush/worker"
)

// TestCaptureFrameRateAndHLSSegment records the test pattern with the capture at 15 frames a
// second and HLS segments of 4 s: the MP4 holds 15 frames a second, not 30; the playlist's
// target duration and segments are 4 s, not 2; the quality report asks for 15 and finds the
// recording fine.
func TestCaptureFrameRateAndHLSSegment(t *testing.T) {
	const fps, segment = 15, 4 * time.Second
	s := startService(t, func(c *controller.Config) {
		c.Capture = worker.Capture{FrameRate: fps, HLSSegment: segment}
	})
	r := s.start("slow", map[string]any{"url": s.page("test-pattern.html"), "width": 640, "height": 360, "recordType": "mp4,hls"})
	if !r.Success {
		t.Fatalf("start: %s", r.msg())
	}
	started := time.Now()
	time.Sleep(14 * time.Second) // three segments and a part
	pushed := time.Since(started)
	if r := s.stop("slow"); !r.Success {
		t.Fatalf("stop: %s", r.msg())
	}
	byFormat := map[string]vod{}
	for _, v := range s.vods() {
		if v.StreamID == "slow" {
			byFormat[filepath.Ext(v.VodName)] = v
		}
	}
	if len(byFormat) != 2 {
		t.Fatalf("VoDs: %+v, want an mp4 and an m3u8", byFormat)
	}

	info := checkRecording(t, s.download(byFormat[".mp4"]), "h264", "aac", 640, 360, pushed, fps-2)
	if info.Video.FPS > fps+1 {
		t.Errorf("the MP4 holds %.2f frames a second, want about %d", info.Video.FPS, fps)
	}

	resp, body := s.do(http.MethodGet, "/live/"+byFormat[".m3u8"].FilePath, nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "#EXT-X-ENDLIST") {
		t.Fatalf("playlist: HTTP %d\n%s", resp.StatusCode, body)
	}
	playlist := string(body)
	var target int
	var durations []float64
	for _, line := range strings.Split(playlist, "\n") {
		if v, ok := strings.CutPrefix(line, "#EXT-X-TARGETDURATION:"); ok {
			target, _ = strconv.Atoi(strings.TrimSpace(v))
		}
		if v, ok := strings.CutPrefix(line, "#EXTINF:"); ok {
			sec, _, _ := strings.Cut(v, ",")
			d, _ := strconv.ParseFloat(sec, 64)
			durations = append(durations, d)
		}
	}
	if target < 4 || target > 5 {
		t.Errorf("EXT-X-TARGETDURATION %d, want 4 (or 5 for a segment a keyframe made longer):\n%s", target, playlist)
	}
	if len(durations) < 3 {
		t.Fatalf("%d segments in %s, want 3 or more:\n%s", len(durations), pushed, playlist)
	}
	for i, d := range durations[:len(durations)-1] { // the last one ends with the recording
		if d < 3.5 || d > 4.6 {
			t.Errorf("segment %d lasts %.3f s, want about 4:\n%s", i+1, d, playlist)
		}
	}
	t.Logf("mp4 %.2f fps; hls: target %d s, segments %v", info.Video.FPS, target, durations)

	var mp4 measuredVoD
	waitFor(t, "the MP4 measured", 2*time.Minute, func() bool {
		for _, v := range measuredVoDs(s, "slow") {
			if filepath.Ext(v.VodName) == ".mp4" {
				mp4 = v
			}
		}
		return mp4.Quality != "" && mp4.Quality != catalog.QualityPending
	})
	if q := mp4.QualityReport; q == nil || q.RequestedFPS != fps || mp4.Quality != catalog.QualityOK || len(q.Problems) != 0 {
		t.Errorf("quality %q of the MP4: %+v, want ok, %d fps requested, no problems", mp4.Quality, q, fps)
	}
}
