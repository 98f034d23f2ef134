package quality

import (
	"context"
	"math"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// makeFile writes a test recording with ffmpeg's own sources: video and audio filter graphs
// of the lavfi device, H264 and AAC in MP4.
func makeFile(t testing.TB, name, video, audio string) string {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("no ffmpeg")
	}
	path := filepath.Join(t.TempDir(), name)
	args := []string{"-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", video}
	if audio != "" {
		args = append(args, "-f", "lavfi", "-i", audio)
	}
	args = append(args, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", path)
	if out, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
		t.Fatalf("making %s: %v: %s", name, err, out)
	}
	return path
}

func near(a, b float64) bool { return math.Abs(a-b) < 0.35 }

func checkSpans(t *testing.T, what string, got, want []Span) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %v, want %v", what, got, want)
		return
	}
	for i := range got {
		if !near(got[i].Start, want[i].Start) || !near(got[i].End, want[i].End) {
			t.Errorf("%s: %v, want about %v", what, got, want)
		}
	}
}

func TestMeasureBlackThenSilent(t *testing.T) {
	// 3 s black, then 4 s moving; 3 s of tone, then 4 s of silence.
	path := makeFile(t, "black.mp4",
		"color=black:s=320x240:r=30:d=3[b];testsrc2=s=320x240:r=30:d=4[m];[b][m]concat=n=2:v=1:a=0",
		"sine=f=440:d=3[s];anullsrc=r=48000:cl=stereo:d=4[z];[s][z]concat=n=2:v=0:a=1")
	r, err := Measure(context.Background(), path, Report{RequestedWidth: 320, RequestedHeight: 240, RequestedFPS: 30})
	if err != nil {
		t.Fatal(err)
	}
	if r.Width != 320 || r.Height != 240 || !near(float64(r.DurationMs)/1000, 7) || math.Abs(r.FPS-30) > 1 || !r.HasVideo || !r.HasAudio {
		t.Errorf("figures: %+v", r)
	}
	checkSpans(t, "black", r.BlackSpans, []Span{{0, 3}})
	checkSpans(t, "frozen", r.FrozenSpans, nil) // black is not frozen as well
	checkSpans(t, "silent", r.SilentSpans, []Span{{3, 7}})
	if r.AVOffsetMs == nil || r.AVOffsetFrom != "file" {
		t.Errorf("A/V offset from the file's start times: %v %q", r.AVOffsetMs, r.AVOffsetFrom)
	}
	if p := Judge(r, Limits{MaxBlack: time.Second, MaxFrozen: time.Second, MaxSilence: time.Second, MinFPSRatio: 0.8,
		MaxAVOffset: 100 * time.Millisecond, MaxDurationShortfall: time.Second}, false); len(p) != 2 {
		t.Errorf("problems: %q, want black and silence", p)
	}
}

func TestMeasureFrozen(t *testing.T) {
	// 2 s moving, then the last picture held for 4 s, a tone throughout.
	path := makeFile(t, "frozen.mp4", "testsrc2=s=320x240:r=30:d=2,tpad=stop_mode=clone:stop_duration=4", "sine=f=440:d=6")
	ms := int64(20)
	r, err := Measure(context.Background(), path, Report{AVOffsetMs: &ms, AVOffsetFrom: "session"})
	if err != nil {
		t.Fatal(err)
	}
	checkSpans(t, "frozen", r.FrozenSpans, []Span{{2, 6}})
	checkSpans(t, "black", r.BlackSpans, nil)
	checkSpans(t, "silent", r.SilentSpans, nil)
	if *r.AVOffsetMs != 20 || r.AVOffsetFrom != "session" {
		t.Errorf("the session's A/V offset is kept: %d %q", *r.AVOffsetMs, r.AVOffsetFrom)
	}
}

func TestMeasureAudioOnly(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("no ffmpeg")
	}
	path := filepath.Join(t.TempDir(), "leg.mp3")
	if out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "anullsrc=r=48000:cl=mono:d=5",
		"-c:a", "libmp3lame", path).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	r, err := Measure(context.Background(), path, Report{})
	if err != nil {
		t.Fatal(err)
	}
	if r.HasVideo || !r.HasAudio || r.AVOffsetMs != nil {
		t.Errorf("an MP3: %+v", r)
	}
	checkSpans(t, "silent", r.SilentSpans, []Span{{0, 5}})
	if p := Judge(r, Limits{MaxSilence: time.Minute}, true); len(p) != 1 {
		t.Errorf("a participant silent throughout: %q", p)
	}
}

func TestMeasureRefusesWhatIsNotMedia(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.mp4")
	if _, err := Measure(context.Background(), path, Report{}); err == nil {
		t.Error("a missing file measured")
	}
}

// BenchmarkMeasure720p measures a minute of 1280x720 at 30 frames a second with sound and
// reports the CPU time the tools take (cpu-s/min: seconds of CPU per minute of recording).
func BenchmarkMeasure720p(b *testing.B) {
	const length = time.Minute
	path := makeFile(b, "720p.mp4", "testsrc2=s=1280x720:r=30:d=60", "sine=f=440:d=60")
	var before syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &before) //nolint:errcheck // Linux always answers
	n := 0
	for b.Loop() {
		if _, err := Measure(context.Background(), path, Report{}); err != nil {
			b.Fatal(err)
		}
		n++
	}
	var after syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &after) //nolint:errcheck // Linux always answers
	cpu := cpuTime(after) - cpuTime(before)
	b.ReportMetric(cpu.Seconds()/float64(n)/length.Minutes(), "cpu-s/min")
}

func cpuTime(r syscall.Rusage) time.Duration {
	return time.Duration(syscall.TimevalToNsec(r.Utime) + syscall.TimevalToNsec(r.Stime))
}
