package controller

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"mediapush/catalog"
	"mediapush/internal/quality"
	"mediapush/recorder"
	"mediapush/worker"
)

func TestQualityLimitsDefaults(t *testing.T) {
	l := QualityConfig{MaxFrozen: -1, MaxSilence: 3 * time.Second}.limits()
	want := quality.Limits{MaxBlack: DefaultMaxBlack, MaxFrozen: -1, MaxSilence: 3 * time.Second, MinFPSRatio: DefaultMinFPSRatio,
		MaxAVOffset: DefaultMaxAVOffset, MaxDurationShortfall: DefaultMaxDurationShortfall}
	if l != want {
		t.Errorf("limits %+v, want %+v", l, want)
	}
}

func TestPendingReport(t *testing.T) {
	rec := worker.Recording{Format: recorder.MP4, Wall: 61 * time.Second, AVOffset: 12 * time.Millisecond, AVOffsetKnown: true,
		Gaps: []worker.Gap{{At: time.Second, Duration: 2 * time.Second}}}
	var r quality.Report
	if err := json.Unmarshal(pendingReport(rec, catalog.Broadcast{Width: 1280, Height: 720}, true), &r); err != nil {
		t.Fatal(err)
	}
	if r.WallMs != 61_000 || r.GapsMs != 2000 || r.RequestedWidth != 1280 || r.RequestedHeight != 720 ||
		r.RequestedFPS != worker.CaptureFPS || r.AVOffsetMs == nil || *r.AVOffsetMs != 12 || r.AVOffsetFrom != "session" {
		t.Errorf("pending report of an MP4: %+v", r)
	}
	rec.Format = recorder.MP3
	r = quality.Report{}
	if err := json.Unmarshal(pendingReport(rec, catalog.Broadcast{Width: 1280, Height: 720}, true), &r); err != nil {
		t.Fatal(err)
	}
	if r.RequestedWidth != 0 || r.RequestedFPS != 0 || r.AVOffsetMs != nil {
		t.Errorf("an MP3 has no picture to judge: %+v", r)
	}
}

// A service closing before it measured a recording announces it as unmeasured, saying why.
func TestMeasurerClosingLeavesRecordingsUnmeasured(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("no ffmpeg")
	}
	dir := t.TempDir()
	cat, err := catalog.Open(filepath.Join(dir, "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	svc := &Service{cat: cat, streamsDir: dir, now: time.Now, log: zerolog.Nop()}
	name := "x-20260102_030405.mp4"
	if out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=160x120:r=30:d=2",
		"-c:v", "libx264", "-preset", "ultrafast", filepath.Join(dir, name)).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	v := catalog.VoD{VodID: "1", VodName: name, StreamID: "x", Kind: "mix", Quality: catalog.QualityPending,
		QualityReport: json.RawMessage(`{"problems":[],"wallMs":2000}`)}
	if err := cat.AddVoD(context.Background(), v); err != nil {
		t.Fatal(err)
	}
	m := &measurer{svc: svc, log: zerolog.Nop(), wake: make(chan struct{}, 1), drain: make(chan struct{}), done: make(chan struct{})}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	m.cancel() // the close timeout ran out before the recording's turn came
	m.enqueue(measureJob{vodName: name, files: []string{name}})
	go m.loop()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	m.close(ctx)
	got, err := cat.GetVoDByName(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	var r quality.Report
	if err := json.Unmarshal(got.QualityReport, &r); err != nil {
		t.Fatal(err)
	}
	if got.Quality != catalog.QualityUnmeasured || len(r.Problems) != 1 || r.Problems[0] != "the service stopped before it was measured" || r.WallMs != 2000 {
		t.Errorf("after closing: %q %+v", got.Quality, r)
	}
	// Queued after closing: announced unmeasured at once.
	v.VodID, v.VodName = "2", "y.mp4"
	if err := cat.AddVoD(context.Background(), v); err != nil {
		t.Fatal(err)
	}
	m.enqueue(measureJob{vodName: "y.mp4"})
	if got, _ := cat.GetVoDByName(context.Background(), "y.mp4"); got.Quality != catalog.QualityUnmeasured {
		t.Errorf("queued after closing: %q", got.Quality)
	}
}
