package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mediapush/browser"
	"mediapush/internal/mediacheck"
)

// TestRecordMP4HLSMP3 records one session as MP4, HLS and MP3 at once: the HLS playlist grows
// while recording and ends at stop, its segments start on keyframes, and the MP3 carries the
// page's tone.
func TestRecordMP4HLSMP3(t *testing.T) {
	s := startService(t)
	r := s.start("multi", map[string]any{"url": s.page("test-pattern.html?freq=660"), "width": 640, "height": 360, "recordType": "mp4,hls,mp3"})
	started := time.Now()
	if !r.Success {
		t.Fatalf("start: %s", r.msg())
	}
	// Live: the stream's playlist is served under its stream id while it grows.
	var live string
	deadline := time.Now().Add(15 * time.Second)
	for strings.Count(live, "#EXTINF") < 2 && time.Now().Before(deadline) {
		time.Sleep(500 * time.Millisecond)
		resp, body := s.do(http.MethodGet, "/live/streams/multi.m3u8", nil)
		if resp.StatusCode == http.StatusOK {
			live = string(body)
		}
	}
	if strings.Count(live, "#EXTINF") < 2 || strings.Contains(live, "#EXT-X-ENDLIST") || !strings.Contains(live, "EVENT") {
		t.Fatalf("live playlist after %s:\n%s", time.Since(started).Round(time.Second), live)
	}
	// A real player (hls.js in Chromium) plays it live.
	player := openPlayer(t, s, "streams/multi.m3u8")
	st := player.waitPlaying(t, 2*time.Second)
	if !st.Live {
		t.Errorf("the player does not see a live stream: %+v", st)
	}
	time.Sleep(time.Second)
	pushed := time.Since(started)
	if r := s.stop("multi"); !r.Success {
		t.Fatalf("stop: %s", r.msg())
	}
	byFormat := map[string]vod{}
	for _, v := range s.vods() {
		if v.StreamID == "multi" {
			byFormat[filepath.Ext(v.VodName)] = v
		}
	}
	if len(byFormat) != 3 {
		t.Fatalf("VoDs of multi: %+v, want an mp4, an m3u8 and an mp3", byFormat)
	}
	checkRecording(t, s.download(byFormat[".mp4"]), "h264", "aac", 640, 360, pushed, 25)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	mp3 := s.download(byFormat[".mp3"])
	info, err := mediacheck.Probe(ctx, mp3)
	if err != nil || info.Video != nil || info.Audio == nil || info.Audio.Codec != "mp3" {
		t.Fatalf("mp3: %+v %v", info, err)
	}
	if d := info.Duration - pushed; d < -time.Second || d > time.Second {
		t.Errorf("mp3 lasts %s, pushed %s", info.Duration, pushed)
	}
	if tone, err := mediacheck.ToneLevel(ctx, mp3, 660, 0, 0); err != nil || tone < -30 {
		t.Errorf("mp3: the page's 660 Hz tone at %.1f dB (%v)", tone, err)
	}

	// After stop: the playlist is ended, every segment it names is served and starts on a keyframe.
	resp, body := s.do(http.MethodGet, "/live/"+byFormat[".m3u8"].FilePath, nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "#EXT-X-ENDLIST") {
		t.Fatalf("final playlist: HTTP %d\n%s", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/vnd.apple.mpegurl" {
		t.Errorf("playlist content type %q", ct)
	}
	dir := t.TempDir()
	var segments []string
	for _, line := range strings.Split(string(body), "\n") {
		line = strings.TrimSpace(line)
		if uri, ok := strings.CutPrefix(line, `#EXT-X-MAP:URI="`); ok {
			line = strings.TrimSuffix(uri, `"`)
		} else if line == "" || strings.HasPrefix(line, "#") {
			continue
		} else {
			segments = append(segments, line)
		}
		resp, data := s.do(http.MethodGet, "/live/streams/"+line, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("segment %s: HTTP %d", line, resp.StatusCode)
		}
		if err := os.WriteFile(filepath.Join(dir, line), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(dir, "index.m3u8"), body, 0o644) //nolint:errcheck // checked by ffprobe below
	for _, seg := range segments {
		if !segmentStartsOnKeyframe(t, dir, seg) {
			t.Errorf("segment %s does not start on a keyframe", seg)
		}
	}
	hlsInfo, err := mediacheck.Probe(ctx, filepath.Join(dir, "index.m3u8"))
	if err != nil || hlsInfo.Video == nil || hlsInfo.Video.Width != 640 || hlsInfo.Audio == nil || hlsInfo.Audio.Codec != "aac" {
		t.Fatalf("hls: %+v %v", hlsInfo, err)
	}
	if d := hlsInfo.Duration - pushed; d < -time.Second || d > time.Second {
		t.Errorf("hls lasts %s, pushed %s", hlsInfo.Duration, pushed)
	}
	t.Logf("hls: %d segments, %s; mp3 %s; pushed %s", len(segments), hlsInfo.Duration, info.Duration, pushed.Round(time.Millisecond))

	// After the recording, the same player plays it on demand, to its end.
	vodPlayer := openPlayer(t, s, byFormat[".m3u8"].FilePath)
	st = vodPlayer.waitPlaying(t, 2*time.Second)
	if st.Live || st.Duration < pushed.Seconds()-1 {
		t.Errorf("the finished HLS recording plays as %+v, want on demand, %.1f s", st, pushed.Seconds())
	}
	vodPlayer.close()
	player.close()

	// Deleting the HLS VoD removes its segments too.
	if resp, out := s.do(http.MethodDelete, "/live/rest/v2/vods/"+byFormat[".m3u8"].VodID, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("delete: %s", out)
	}
	if left, _ := filepath.Glob(filepath.Join(s.data, "streams", "multi-*_*.m4s")); len(left) > 0 {
		t.Errorf("segments left after the VoD was deleted: %v", left)
	}
}

// segmentStartsOnKeyframe decodes the first video frame of an fMP4 segment (with its init
// segment) and says whether it is a keyframe.
func segmentStartsOnKeyframe(t *testing.T, dir, seg string) bool {
	t.Helper()
	init, _ := filepath.Glob(filepath.Join(dir, "*_init.mp4"))
	if len(init) != 1 {
		t.Fatalf("init segments: %v", init)
	}
	joined := filepath.Join(dir, "joined-"+seg+".mp4")
	a, _ := os.ReadFile(init[0])
	b, _ := os.ReadFile(filepath.Join(dir, seg))
	os.WriteFile(joined, append(a, b...), 0o644) //nolint:errcheck // ffprobe says if it is missing
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=flags",
		"-read_intervals", "%+#1", "-of", "csv=p=0", joined).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", seg, err)
	}
	return strings.HasPrefix(strings.TrimSpace(string(out)), "K")
}

// hlsPlayer is layouts/player.html (hls.js) in a Chromium of its own.
type hlsPlayer struct {
	br  *browser.Tab
	ctx context.Context
	end context.CancelFunc
}

type playerState struct {
	Ready, Playing, Live, Ended bool
	CurrentTime, Duration       float64
	DecodedFrames               int
	Error                       string
}

func openPlayer(t *testing.T, s *service, src string) *hlsPlayer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	br := personBrowser(t, ctx, browser.Options{}, 640, 360)
	p := &hlsPlayer{br: br, ctx: ctx, end: cancel}
	t.Cleanup(p.close)
	if err := br.Open(ctx, s.page("player.html?src="+src)); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *hlsPlayer) state(t *testing.T) playerState {
	t.Helper()
	out, err := p.br.Evaluate(p.ctx, "playerState()")
	if err != nil {
		t.Fatal(err)
	}
	var st playerState
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("playerState() = %q: %v", out, err)
	}
	return st
}

// waitPlaying waits until the player plays and its time has moved on by advance.
func (p *hlsPlayer) waitPlaying(t *testing.T, advance time.Duration) playerState {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	first := -1.0
	for {
		st := p.state(t)
		if st.Error != "" {
			t.Fatalf("the player failed: %s", st.Error)
		}
		if st.Playing && first < 0 {
			first = st.CurrentTime
		}
		if first >= 0 && st.CurrentTime-first >= advance.Seconds() && st.DecodedFrames > 0 {
			t.Logf("player: %+v", st)
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("the player did not play %s within 20 s: %+v", advance, st)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (p *hlsPlayer) close() {
	p.br.Close()
	p.end()
}
