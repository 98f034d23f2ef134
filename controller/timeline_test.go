package controller

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mediapush/catalog"
	"mediapush/signalling"
	"mediapush/storage"
	"mediapush/timeline"
	"mediapush/worker"
)

func TestTimelineFilesGoWithTheirVoD(t *testing.T) {
	dir := t.TempDir()
	start := time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)
	now := start
	s := &Service{streamsDir: dir, timelines: newTimelines(nil, func() time.Time { return now })}
	if !s.timelines.begin("r_composite", "r") || s.timelines.begin("r_composite", "r") {
		t.Fatal("begin makes one log per session")
	}
	s.timelines.note("r_composite", timeline.Note{Kind: timeline.Join, At: start.Add(2 * time.Second), StreamID: "a", Name: "Ann"})
	now = start.Add(3 * time.Second)
	s.timelines.onNotice(signalling.Notice{StreamID: "a", Room: "r", Event: "MIC_MUTED"})
	rec := worker.Recording{StreamID: "r_composite", Key: "r_composite-20250304-100000.mp4", StartedAt: start, Duration: 10 * time.Second}
	events, chapters, ok, err := s.writeTimeline(rec)
	if err != nil || !ok || events != rec.Key+".timeline.json" || chapters != rec.Key+".timeline.vtt" {
		t.Fatalf("writeTimeline = %q, %q, %v, %v", events, chapters, ok, err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, events))
	if !strings.Contains(string(b), `"type": "join"`) || !strings.Contains(string(b), `"type": "audioMuted"`) {
		t.Errorf("timeline:\n%s", b)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, chapters)); !strings.Contains(string(b), "00:00:02.000 --> 00:00:10.000\nAnn joins (Ann)") {
		t.Errorf("chapters:\n%s", b)
	}
	if _, _, ok, _ := s.writeTimeline(worker.Recording{StreamID: "other", Key: "other.mp4"}); ok {
		t.Error("a recording of no room got a timeline")
	}

	v := catalog.VoD{VodName: rec.Key, Info: withTimelineInfo(vodInfo(nil, []worker.Gap{{At: time.Second}}), events, chapters)}
	if got := vodFileNames(v); strings.Join(got, " ") != rec.Key+" "+events+" "+chapters {
		t.Errorf("the VoD's files (deleted with it, uploaded with it): %v", got)
	}
	if !strings.Contains(v.Info, `"gaps"`) || s.vodOfFile(chapters) != rec.Key {
		t.Errorf("info %s; the chapters belong to %q", v.Info, s.vodOfFile(chapters))
	}

	key := make([]byte, 32)
	signer, err := storage.NewSigner(key)
	if err != nil {
		t.Fatal(err)
	}
	vods := []catalog.VoD{v, {VodName: "plain.mp4"}}
	s.WithTimelines("live", vods)
	if vods[0].Timeline == nil || vods[0].Timeline.JSON != "/live/streams/"+url.PathEscape(events) || vods[1].Timeline != nil {
		t.Errorf("timeline URLs: %+v, %+v", vods[0].Timeline, vods[1].Timeline)
	}
	s.delivery = delivery{signer: signer, ttl: time.Minute, required: true, base: "https://media.example"}
	s.WithTimelines("live", vods)
	u, err := url.Parse(vods[0].Timeline.WebVTT)
	if err != nil || u.Host != "media.example" || u.Path != "/live/streams/"+chapters {
		t.Fatalf("signed chapters URL %q", vods[0].Timeline.WebVTT)
	}
	if err := signer.Verify(streamPath(chapters), u.Query(), time.Now()); err != nil {
		t.Errorf("the chapters' URL is not signed for them: %v", err)
	}
	s.timelines.end("r_composite")
	if s.timelines.get("r_composite") != nil {
		t.Error("the log outlives its session")
	}
}
