package worker

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mediapush/media"
	"mediapush/recorder"
)

func TestPartGapsAreWhereEachPartBeginsInTheJoin(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	parts := []Recording{
		{StartedAt: t0, Duration: 6 * time.Second},
		// 2.5 s after the first ended, itself holding a gap of 1 s at 2 s in.
		{StartedAt: t0.Add(8500 * time.Millisecond), Duration: 4 * time.Second,
			Gaps: []Gap{{At: 2 * time.Second, Duration: time.Second}}},
		{StartedAt: t0.Add(12500 * time.Millisecond), Duration: 3 * time.Second}, // right after
	}
	want := []Gap{
		{At: 6 * time.Second, Duration: 2500 * time.Millisecond},
		{At: 8 * time.Second, Duration: time.Second},
		{At: 10 * time.Second, Duration: 0},
	}
	got := partGaps(parts)
	if len(got) != len(want) {
		t.Fatalf("gaps %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("gap %d: %+v, want %+v", i+1, got[i], want[i])
		}
	}
	if partGaps(parts[:1]) != nil {
		t.Error("one part has gaps")
	}
}

func TestPartCountsOnlyOnceTheSessionCrashed(t *testing.T) {
	s := &session{partCount: 1}
	if p, g := s.partCounts(); p != 0 || g != 0 {
		t.Errorf("a session that never crashed counts %d parts, %d gaps; want none shown", p, g)
	}
	s.partCount = 3
	if p, g := s.partCounts(); p != 3 || g != 2 {
		t.Errorf("3 parts: counts %d parts, %d gaps", p, g)
	}
}

// TestCutKeepsRecordingOn cuts the recording as a crash does: recording stays on, nothing is
// recorded until the fresh tab's media comes (a new opener), and then a new file begins at its
// first keyframe, at time zero.
func TestCutKeepsRecordingOn(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "recording"), 0o750) //nolint:errcheck // checked by newRecording
	video := media.Track{Codec: media.VP8, ClockRate: 90000}
	var opened []time.Duration
	opener := func(formats []recorder.Format, pts time.Duration) (*recording, error) {
		opened = append(opened, pts)
		return (&Worker{cfg: Config{DataDir: dir}}).newRecording("s", formats, time.Now().Add(time.Duration(len(opened))*time.Second), video, nil)
	}
	sw := &recordingSwitch{}
	sw.turnOn([]recorder.Format{recorder.WebM})
	sw.setOpener(opener)
	frame := func(pts time.Duration, key bool) media.Sample {
		// A VP8 frame header of 160x90: the frame tag (bit 0 clear on a keyframe), the start
		// code, the size.
		f := []byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0xa0, 0x00, 0x5a, 0x00}
		if !key {
			f[0] |= 1
		}
		return media.Sample{PTS: pts, Keyframe: key, Frame: f}
	}
	if err := sw.WriteVideo(frame(5*time.Second, true)); err != nil {
		t.Fatal(err)
	}
	first := sw.cut()
	if first == nil || !sw.isOn() || sw.current() != nil {
		t.Fatalf("after the cut: cut %v, on %v, current %v; want the recording back, on, none current", first, sw.isOn(), sw.current())
	}
	defer first.writer.Close()
	if err := sw.WriteVideo(frame(6*time.Second, true)); err != nil || sw.current() != nil {
		t.Fatalf("a frame before the fresh media's opener began a recording (%v)", err)
	}
	sw.setOpener(opener)
	sw.WriteVideo(frame(100*time.Millisecond, false)) //nolint:errcheck // skipped: no keyframe
	if err := sw.WriteVideo(frame(200*time.Millisecond, true)); err != nil {
		t.Fatal(err)
	}
	second := sw.current()
	if second == nil || second == first || len(opened) != 2 || opened[1] != 200*time.Millisecond {
		t.Fatalf("the fresh media's recording: %v, opened at %v; want a new one at its first keyframe", second, opened)
	}
	rec, wasOn := sw.turnOff()
	if rec != second || !wasOn {
		t.Errorf("turning off gave %v (on %v)", rec, wasOn)
	}
	rec.writer.Close()
}

// TestJoinSegmentsMakesOneRecording joins the two MP4 segments a crash cut: one file under the
// first one's name, the second gone, a chapter per part and the gap noted; a format recorded
// once stays as it is.
func TestJoinSegmentsMakesOneRecording(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("no ffmpeg")
	}
	dir := t.TempDir()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clip := func(name string, secs string) string {
		p := filepath.Join(dir, name)
		out, err := exec.Command("ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=160x90:rate=30",
			"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", secs, "-c:v", "libx264", "-pix_fmt", "yuv420p",
			"-c:a", "aac", "-shortest", p).CombinedOutput()
		if err != nil {
			t.Fatalf("making %s: %v: %s", name, err, out)
		}
		return p
	}
	ctx := context.Background()
	a, b := clip("s-a.mp4", "1"), clip("s-b.mp4", "1.5")
	da, _ := recorder.Duration(ctx, a)
	db, _ := recorder.Duration(ctx, b)
	mp3 := filepath.Join(dir, "s-a.mp3")
	os.WriteFile(mp3, []byte("x"), 0o600) //nolint:errcheck // only passed through
	segs := []Recording{
		{StreamID: "s", Format: recorder.MP4, Key: filepath.Base(a), StartedAt: t0, Duration: da},
		{StreamID: "s", Format: recorder.MP3, Key: filepath.Base(mp3), StartedAt: t0, Duration: da},
		{StreamID: "s", Format: recorder.MP4, Key: filepath.Base(b), StartedAt: t0.Add(da + 2*time.Second), Duration: db},
	}
	out, err := joinSegments(ctx, segs, dir, crashNote)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 || out[0].Format != recorder.MP4 || out[1].Key != filepath.Base(mp3) {
		t.Fatalf("joined %+v; want the joined mp4 and the mp3 as it was", out)
	}
	j := out[0]
	if j.Key != filepath.Base(a) || j.Merged || !j.StartedAt.Equal(t0) || (j.Duration-(da+db)).Abs() > 100*time.Millisecond {
		t.Errorf("joined %+v; want %s, not marked merged, from %s, lasting %s", j, a, t0, da+db)
	}
	if len(j.Gaps) != 1 || j.Gaps[0].At != da || j.Gaps[0].Duration != 2*time.Second {
		t.Errorf("gaps %+v; want 2 s at %s", j.Gaps, da)
	}
	if _, err := os.Stat(b); !os.IsNotExist(err) {
		t.Errorf("the second segment is still there (%v)", err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*")); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
	probe, err := exec.Command("ffprobe", "-v", "error", "-show_chapters", "-of", "json", a).Output()
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Chapters []struct {
			Tags map[string]string `json:"tags"`
		} `json:"chapters"`
	}
	json.Unmarshal(probe, &p) //nolint:errcheck // checked below
	if len(p.Chapters) != 2 || !strings.Contains(p.Chapters[1].Tags["title"], "after a 2.0 s pause ("+crashNote+")") {
		t.Errorf("chapters %+v; want 2, the second after a 2.0 s pause (%s)", p.Chapters, crashNote)
	}
}

func TestContinuedPiecesAreTheJobsOwn(t *testing.T) {
	dir := t.TempDir()
	sidecar{StreamID: "s", Formats: []recorder.Format{recorder.MP4}, Base: "s-20261203-070000"}.write(filepath.Join(dir, "s-20261203-070000.mkv.json"))
	sidecar{StreamID: "t", Formats: []recorder.Format{recorder.MP4}, Base: "t-20261203-070000"}.write(filepath.Join(dir, "t-20261203-070000.mkv.json"))
	job := Job{StreamID: "s", URL: "http://127.0.0.1/", Width: 640, Height: 360, Continues: []string{"s-20261203-070000.mkv"}}
	pieces, err := continuedPieces(dir, job)
	if err != nil || len(pieces) != 1 || pieces[0].meta.Base != "s-20261203-070000" || pieces[0].partial != filepath.Join(dir, job.Continues[0]) {
		t.Fatalf("pieces %+v, %v", pieces, err)
	}
	for name, cont := range map[string][]string{
		"another stream's part": {"t-20261203-070000.mkv"},
		"a part not there":      {"s-20261203-080000.mkv"},
	} {
		job.Continues = cont
		if _, err := continuedPieces(dir, job); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := continuedPieces("", Job{StreamID: "s", Continues: []string{"s-20261203-070000.mkv"}}); err == nil {
		t.Error("a worker without a directory of continued recordings accepted a part")
	}
}

func TestJobContinuesOnlyMatroskaNames(t *testing.T) {
	ok := Job{StreamID: "s", URL: "http://127.0.0.1/", Width: 640, Height: 360, Continues: []string{"s-20261203-070000.mkv"}}
	if err := ok.Check(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"../s-20261203-070000.mkv", "s-20261203-070000.mp4", "a/b.mkv"} {
		j := ok
		j.Continues = []string{bad}
		if err := j.Check(); err == nil {
			t.Errorf("a job continuing %q was accepted", bad)
		}
	}
}
