package quality

import (
	"reflect"
	"testing"
	"time"
)

var testLimits = Limits{MaxBlack: 5 * time.Second, MaxFrozen: 10 * time.Second, MaxSilence: 10 * time.Second,
	MinFPSRatio: 0.8, MaxAVOffset: 100 * time.Millisecond, MaxDurationShortfall: 3 * time.Second}

func ms(v int64) *int64 { return &v }

// good is a minute of 720p at 30 frames a second, as requested, with nothing wrong.
func good() Report {
	return Report{DurationMs: 60_000, WallMs: 60_400, Width: 1280, Height: 720, RequestedWidth: 1280, RequestedHeight: 720,
		FPS: 29.8, RequestedFPS: 30, AVOffsetMs: ms(12), HasVideo: true, HasAudio: true}
}

func TestJudgeGood(t *testing.T) {
	if p := Judge(good(), testLimits, false); len(p) != 0 {
		t.Errorf("a good recording: %q", p)
	}
}

func TestJudgeProblems(t *testing.T) {
	for _, c := range []struct {
		name       string
		change     func(*Report)
		individual bool
		want       []string
	}{
		{"black", func(r *Report) { r.BlackSpans = []Span{{0, 3}, {20, 32.5}} },
			false, []string{"the picture is black for 12.5s from 0:20 (2 times, 15.5s in all)"}},
		{"black within the limit", func(r *Report) { r.BlackSpans = []Span{{0, 5}} }, false, nil},
		{"frozen", func(r *Report) { r.FrozenSpans = []Span{{65, 80}} },
			false, []string{"the picture does not move for 15s from 1:05"}},
		{"silent mix", func(r *Report) { r.SilentSpans = []Span{{0, 60}} },
			false, []string{"there is no sound for 1m0s from 0:00"}},
		{"participant silent at times", func(r *Report) { r.SilentSpans = []Span{{0, 40}} }, true, nil},
		{"participant silent throughout", func(r *Report) { r.SilentSpans = []Span{{0, 59.5}} },
			true, []string{"the participant's audio is silent throughout"}},
		{"few frames", func(r *Report) { r.FPS = 15 },
			false, []string{"the moving picture has 15.0 frames a second, fewer than 80% of the 30 requested"}},
		{"few frames while still: not judged again", func(r *Report) {
			r.FPS = 1
			r.FrozenSpans = []Span{{0, 59}}
		}, false, []string{"the picture does not move for 59s from 0:00"}},
		{"frames counted over the moving picture", func(r *Report) {
			r.FPS = 15 // 900 frames, nearly all in the 30 s that move
			r.FrozenSpans = []Span{{30, 60}}
		}, false, []string{"the picture does not move for 30s from 0:30"}},
		{"late picture", func(r *Report) { r.AVOffsetMs = ms(250) },
			false, []string{"the picture is 250ms late against the sound, more than 100ms"}},
		{"early picture", func(r *Report) { r.AVOffsetMs = ms(-150) },
			false, []string{"the picture is 150ms early against the sound, more than 100ms"}},
		{"short file", func(r *Report) { r.WallMs = 70_000 },
			false, []string{"the file lasts 1m0s of the 1m10s recorded"}},
		{"gaps by design", func(r *Report) { r.WallMs, r.GapsMs = 70_000, 9_000 }, false, nil},
		{"wrong size", func(r *Report) { r.Width, r.Height = 640, 360 },
			false, []string{"the video is 640x360, not the 1280x720 requested"}},
		{"no video", func(r *Report) { r.HasVideo, r.Width, r.Height, r.FPS = false, 0, 0, 0 },
			false, []string{"the file has no video"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := good()
			c.change(&r)
			got := Judge(r, testLimits, c.individual)
			if c.want == nil {
				c.want = []string{}
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("Judge:\n got %q\nwant %q", got, c.want)
			}
		})
	}
}

func TestJudgeChecksOff(t *testing.T) {
	r := good()
	r.BlackSpans, r.FrozenSpans, r.SilentSpans = []Span{{0, 60}}, []Span{{0, 60}}, []Span{{0, 60}}
	r.FPS, r.AVOffsetMs, r.WallMs = 2, ms(900), 120_000
	off := Limits{MaxBlack: -1, MaxFrozen: -1, MaxSilence: -1, MinFPSRatio: -1, MaxAVOffset: -1, MaxDurationShortfall: -1}
	if p := Judge(r, off, false); len(p) != 0 {
		t.Errorf("every check off: %q", p)
	}
}

func TestClock(t *testing.T) {
	for sec, want := range map[float64]string{0: "0:00", 65.9: "1:05", 3725: "1:02:05"} {
		if got := clock(sec); got != want {
			t.Errorf("clock(%v) = %q, want %q", sec, got, want)
		}
	}
}
