package e2e

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"mediapush/internal/mediacheck"
)

// recordPage records page through the REST API for about dur and returns the VoD, its
// downloaded file and the media time pushed (first frame to stop).
func recordPage(t *testing.T, s *service, id, page, recordType string, w, h int, dur time.Duration) (vod, string, time.Duration) {
	t.Helper()
	r := s.start(id, map[string]any{"url": s.page(page), "width": w, "height": h, "recordType": recordType})
	started := time.Now() // start answers once the first frame is in
	if !r.Success || r.DataID == nil || *r.DataID != id {
		t.Fatalf("start: %+v %s", r, r.msg())
	}
	if b := s.broadcast(id); b.State != "ACTIVE" || b.Status != "broadcasting" || b.Width != w || b.Height != h {
		t.Errorf("broadcast while recording: %+v", b)
	}
	time.Sleep(dur)
	stopAt := time.Now()
	if r := s.stop(id); !r.Success {
		t.Fatalf("stop: %s", r.msg())
	}
	pushed := stopAt.Sub(started)
	if b := s.broadcast(id); b.State != "COMPLETE" || b.Status != "finished" {
		t.Errorf("broadcast after stop: %+v", b)
	}
	v := s.vodOf(id) // listed when stop answers
	return v, s.download(v), pushed
}

// checkRecording asserts what a user checks of a recording. pushed is the media time the
// recording must last (±0.5 s); 0 leaves the duration to the caller.
func checkRecording(t *testing.T, path, vcodec, acodec string, w, h int, pushed time.Duration, minFPS float64) mediacheck.Info {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := mediacheck.Decodes(ctx, path); err != nil {
		t.Errorf("the file does not decode cleanly: %v", err)
	}
	info, err := mediacheck.Probe(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Video == nil || info.Audio == nil {
		t.Fatalf("want video and audio, got %+v", info)
	}
	if info.Video.Codec != vcodec || info.Video.Width != w || info.Video.Height != h {
		t.Errorf("video %s %dx%d, want %s %dx%d", info.Video.Codec, info.Video.Width, info.Video.Height, vcodec, w, h)
	}
	if info.Video.FPS < minFPS {
		t.Errorf("video at %.1f fps on average, want ≥ %.0f", info.Video.FPS, minFPS)
	}
	if info.Audio.Codec != acodec || info.Audio.Channels != 2 || info.Audio.SampleRate != 48000 {
		t.Errorf("audio %s %d ch %d Hz, want %s stereo 48 kHz", info.Audio.Codec, info.Audio.Channels, info.Audio.SampleRate, acodec)
	}
	if d := info.Duration - pushed; pushed > 0 && (d < -500*time.Millisecond || d > 500*time.Millisecond) {
		t.Errorf("duration %s, pushed %s: off by %s (> 0.5 s)", info.Duration, pushed, d)
	}
	mean, _, err := mediacheck.Loudness(ctx, path)
	if err != nil || mean < -40 {
		t.Errorf("audio mean level %.1f dB (%v): want the page's tone, not silence", mean, err)
	}
	t.Logf("%s: %s %dx%d %.2f fps, %s %d Hz, %s (pushed %s), %.1f dB, %d bytes",
		filepath.Base(path), info.Video.Codec, info.Video.Width, info.Video.Height, info.Video.FPS,
		info.Audio.Codec, info.Audio.SampleRate, info.Duration, pushed.Round(time.Millisecond), mean, info.Size)
	return info
}

func TestRecordMP4(t *testing.T) {
	s := startService(t)
	v, file, pushed := recordPage(t, s, "mp4-720p", "test-pattern.html", "mp4", 1280, 720, 8*time.Second)
	// 20 fps at least: the animated page at 1280x720 takes Chromium 156.0.8078.114 about 1.5 of
	// the machine's two cores to render and encode, and gives 23.6-29.9 fps on a quiet machine
	// (the same before and after the access and destination changes). A stall, or a capture
	// that loses a third of its frames, still fails; the cost itself is the benchmarks' to measure.
	checkRecording(t, file, "h264", "aac", 1280, 720, pushed, 20)

	// The download is the file itself, byte for byte, and players can seek with ranges.
	onDisk, err := os.ReadFile(filepath.Join(s.data, v.FilePath))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(file)
	if !bytes.Equal(got, onDisk) || int64(len(got)) != v.FileSize {
		t.Errorf("download: %d bytes, file %d bytes, VoD says %d", len(got), len(onDisk), v.FileSize)
	}
	req, _ := http.NewRequest(http.MethodGet, s.base+"/live/"+v.FilePath, nil)
	req.Header.Set("Range", "bytes=100-199")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusPartialContent || resp.ContentLength != 100 {
		t.Errorf("range request: HTTP %d, %d bytes; want 206, 100", resp.StatusCode, resp.ContentLength)
	}
	if len(onDisk) > 8 && !bytes.Contains(onDisk[:64], []byte("ftyp")) {
		t.Errorf("not an MP4")
	}
	// faststart: the index (moov) comes before the media (mdat), so browsers play while downloading.
	if m, d := bytes.Index(onDisk, []byte("moov")), bytes.Index(onDisk, []byte("mdat")); m < 0 || m > d {
		t.Errorf("moov at %d, mdat at %d: not faststart", m, d)
	}

	// The VoD can be fetched, deleted, and is gone with its file.
	var one vod
	if code := s.getJSON("/live/rest/v2/vods/"+v.VodID, &one); code != http.StatusOK || one.VodName != v.VodName {
		t.Errorf("GET vod: %d %+v", code, one)
	}
	if r := s.call(http.MethodDelete, "/live/rest/v2/vods/"+v.VodID, nil); !r.Success {
		t.Errorf("delete: %s", r.msg())
	}
	if _, err := os.Stat(filepath.Join(s.data, v.FilePath)); !os.IsNotExist(err) {
		t.Errorf("the file stays after delete: %v", err)
	}
	if code := s.getJSON("/live/rest/v2/vods/"+v.VodID, &one); code != http.StatusNotFound {
		t.Errorf("deleted VoD: HTTP %d, want 404", code)
	}
}

func TestRecordWebM(t *testing.T) {
	s := startService(t)
	_, file, pushed := recordPage(t, s, "webm-360p", "test-pattern.html", "webm", 640, 360, 8*time.Second)
	checkRecording(t, file, "vp8", "opus", 640, 360, pushed, 28)
}

func TestRecordFullHD(t *testing.T) {
	s := startService(t)
	_, file, pushed := recordPage(t, s, "mp4-1080p", "test-pattern.html", "mp4", 1920, 1080, 6*time.Second)
	// Exact size, duration and sound; the frame rate is logged, not asserted: a full-screen
	// canvas redrawn every frame at 1080p needs more software rendering than two shared cores
	// give reliably (24.7 fps alone, 11.7 fps with other work on the machine).
	checkRecording(t, file, "h264", "aac", 1920, 1080, pushed, 0)
}

func TestAudioVideoInSync(t *testing.T) {
	s := startService(t)
	_, file, _ := recordPage(t, s, "av-sync", "av-sync.html", "mp4", 1280, 720, 10*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	offsets, err := mediacheck.AVOffsets(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	median := mediacheck.MedianAbs(offsets)
	t.Logf("A/V offsets (audio − video) over %d flashes: %v; median |offset| %s", len(offsets), offsets, median)
	if len(offsets) < 7 {
		t.Errorf("found %d flash/beep pairs in ~10 s, want ≥ 7", len(offsets))
	}
	if median > 50*time.Millisecond {
		t.Errorf("audio and video are %s apart (median), want ≤ 50 ms", median)
	}
}

func TestPushWithoutRecording(t *testing.T) {
	s := startService(t)
	if r := s.start("push-only", map[string]any{"url": s.page("test-pattern.html"), "width": 640, "height": 360}); !r.Success {
		t.Fatalf("start: %s", r.msg())
	}
	// Commands run in the page: values come back as text.
	cmd := func(js string) result {
		return s.call(http.MethodPost, "/live/rest/v1/media-push/send-command?streamId=push-only", map[string]any{"jsCommand": js})
	}
	if r := cmd("return innerWidth + 'x' + innerHeight"); !r.Success || r.msg() != "640x360" {
		t.Errorf("send-command: %+v %s", r, r.msg())
	}
	if r := cmd("return document.title"); !r.Success || r.msg() == "" {
		t.Errorf("send-command title: %s", r.msg())
	}
	if r := s.stop("push-only"); !r.Success {
		t.Fatalf("stop: %s", r.msg())
	}
	for _, v := range s.vods() {
		if v.StreamID == "push-only" {
			t.Errorf("a push without recordType made a VoD: %+v", v)
		}
	}
	if b := s.broadcast("push-only"); b.State != "COMPLETE" {
		t.Errorf("after stop: %+v", b)
	}
}

func TestStreamIDIsGeneratedWhenAbsent(t *testing.T) {
	s := startService(t)
	r := s.call(http.MethodPost, "/live/rest/v1/media-push/start", map[string]any{"url": s.page("test-pattern.html"), "width": 320, "height": 240})
	if !r.Success || r.DataID == nil || *r.DataID == "" {
		t.Fatalf("start without streamId: %+v %s", r, r.msg())
	}
	if b := s.broadcast(*r.DataID); b.State != "ACTIVE" {
		t.Errorf("generated stream: %+v", b)
	}
	if r := s.stop(*r.DataID); !r.Success {
		t.Errorf("stop %s: %s", *r.DataID, r.msg())
	}
}

// TestShortSessionKeepsItsRecording stops a session right after its start answered, before
// the audio's timing is known: what the page sent is still recorded.
func TestShortSessionKeepsItsRecording(t *testing.T) {
	s := startService(t)
	r := s.start("short", map[string]any{"url": s.page("test-pattern.html"), "width": 640, "height": 360, "recordType": "mp4"})
	started := time.Now()
	if !r.Success {
		t.Fatalf("start: %s", r.msg())
	}
	time.Sleep(time.Second)
	pushed := time.Since(started)
	if r := s.stop("short"); !r.Success {
		t.Fatalf("stop: %s", r.msg())
	}
	v := s.vodOf("short")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	info, err := mediacheck.Probe(ctx, s.download(v))
	if err != nil || info.Video == nil || info.Audio == nil || info.Duration < pushed-500*time.Millisecond {
		t.Errorf("a %s session kept %+v (%v), want its video and audio", pushed.Round(time.Millisecond), info, err)
	}
	t.Logf("stopped %s after the start answered: the recording holds %s (audio: %v)", pushed.Round(time.Millisecond), info.Duration, info.Audio != nil)
}
