package mediacheck

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// makeMedia has ffmpeg make a small file in a temporary directory and returns its path.
func makeMedia(t *testing.T, name string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath(FFmpeg); err != nil {
		t.Skipf("%s is not installed: %v", FFmpeg, err)
	}
	path := filepath.Join(t.TempDir(), name)
	args = append(append([]string{"-nostdin", "-hide_banner", "-v", "error", "-y"}, args...), path)
	if out, err := exec.Command(FFmpeg, args...).CombinedOutput(); err != nil {
		t.Fatalf("making %s: %v: %s", name, err, out)
	}
	return path
}

// gridVideo is 2 s of a 2×2 grid, red, green / blue, yellow, whose top left tile turns white
// at 1 s.
const gridVideo = "color=c=red:s=160x120:r=25:d=2[a];color=c=0x00ff00:s=160x120:r=25:d=2[b];" +
	"color=c=blue:s=160x120:r=25:d=2[c];color=c=yellow:s=160x120:r=25:d=2[d];" +
	"[a][b]hstack[top];[c][d]hstack[bottom];[top][bottom]vstack," +
	"drawbox=x=0:y=0:w=160:h=120:color=white:t=fill:enable='gte(t,1)'"

func TestFrameColors(t *testing.T) {
	grid := makeMedia(t, "grid.mp4", "-filter_complex", gridVideo,
		"-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-pix_fmt", "yuv420p")
	tiles := []Point{{0.25, 0.25}, {0.75, 0.25}, {0.25, 0.75}, {0.75, 0.75}}
	cases := []struct {
		at    time.Duration
		names []string
		rgb   []RGB
	}{
		{500 * time.Millisecond, []string{"red", "green", "blue", "yellow"},
			[]RGB{{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {255, 255, 0}}},
		// Not at a keyframe: the seek has to decode its way there.
		{1500 * time.Millisecond, []string{"white", "green", "blue", "yellow"},
			[]RGB{{255, 255, 255}, {0, 255, 0}, {0, 0, 255}, {255, 255, 0}}},
	}
	for _, c := range cases {
		got, err := FrameColors(testContext(t), grid, c.at, tiles)
		if err != nil {
			t.Fatal(err)
		}
		for i, rgb := range got {
			// YUV 4:2:0 and the encoder move a solid colour by a few steps.
			if ColorName(rgb) != c.names[i] || !rgb.Near(c.rgb[i], 24) {
				t.Errorf("at %v, tile %d: %v, want %s near %v", c.at, i, rgb, c.names[i], c.rgb[i])
			}
		}
	}

	// The corners: the square is clipped to the frame.
	got, err := FrameColors(testContext(t), grid, 0, []Point{{0, 0}, {1, 1}})
	if err != nil {
		t.Fatal(err)
	}
	if ColorName(got[0]) != "red" || ColorName(got[1]) != "yellow" {
		t.Errorf("corners: %v, want red and yellow", got)
	}

	if _, err := FrameColors(testContext(t), grid, 0, []Point{{1.5, 0}}); err == nil {
		t.Error("a point outside the frame gave no error")
	}
	if _, err := FrameColors(testContext(t), grid, 10*time.Second, tiles); err == nil ||
		!strings.Contains(err.Error(), "no video frame") {
		t.Errorf("after the end: %v; want no video frame", err)
	}
	tone := makeMedia(t, "tone.m4a", "-f", "lavfi", "-i", "sine=f=440:d=1", "-c:a", "aac")
	if _, err := FrameColors(testContext(t), tone, 0, tiles); err == nil ||
		!strings.Contains(err.Error(), "matches no streams") {
		t.Errorf("audio only: %v; want ffmpeg's error", err)
	}
}

func TestColorName(t *testing.T) {
	cases := []struct {
		c    RGB
		want string
	}{
		{RGB{254, 1, 0}, "red"},
		{RGB{0, 128, 0}, "green"}, // ffmpeg's "green"
		{RGB{10, 250, 12}, "green"},
		{RGB{0, 0, 255}, "blue"},
		{RGB{250, 250, 8}, "yellow"},
		{RGB{255, 0, 255}, "magenta"},
		{RGB{0, 255, 255}, "cyan"},
		{RGB{255, 255, 255}, "white"},
		{RGB{235, 235, 228}, "white"},
		{RGB{128, 128, 128}, "grey"},
		{RGB{16, 16, 16}, "black"},
		{RGB{0, 0, 0}, "black"},
		{RGB{255, 165, 0}, "other"},   // orange
		{RGB{255, 192, 203}, "other"}, // pink
	}
	for _, c := range cases {
		if got := ColorName(c.c); got != c.want {
			t.Errorf("ColorName(%d,%d,%d) = %s, want %s", c.c.R, c.c.G, c.c.B, got, c.want)
		}
	}
	if !(RGB{250, 5, 3}).Near(RGB{255, 0, 0}, 5) || (RGB{250, 5, 3}).Near(RGB{255, 0, 0}, 4) {
		t.Error("Near does not compare each channel within the tolerance")
	}
}

func TestToneLevel(t *testing.T) {
	// Two tones at once, as two participants talking; AAC, as a recording would have them.
	mix := makeMedia(t, "mix.m4a", "-f", "lavfi", "-i", "sine=f=500:r=48000:d=2",
		"-f", "lavfi", "-i", "sine=f=1300:r=48000:d=2", "-filter_complex", "amix=inputs=2",
		"-c:a", "aac", "-b:a", "128k")
	level := func(path string, freq float64, from, to time.Duration) float64 {
		t.Helper()
		db, err := ToneLevel(testContext(t), path, freq, from, to)
		if err != nil {
			t.Fatal(err)
		}
		return db
	}
	l500, l1300, l3000 := level(mix, 500, 0, 0), level(mix, 1300, 0, 0), level(mix, 3000, 0, 0)
	t.Logf("mix: %.1f dB at 500 Hz, %.1f dB at 1300 Hz, %.1f dB at 3000 Hz", l500, l1300, l3000)
	// sine= is -21 dB RMS; amix halves each input (-6 dB).
	if !near(l500, -27, 3) || !near(l1300, -27, 3) {
		t.Errorf("tones at %.1f and %.1f dB, want about -27", l500, l1300)
	}
	if l500-l3000 < 25 || l1300-l3000 < 25 {
		t.Errorf("no tone at 3000 Hz reads %.1f dB, not 25 dB under the tones (%.1f, %.1f)", l3000, l500, l1300)
	}

	// The window: 500 Hz for the first second only, 1300 Hz throughout.
	steps := makeMedia(t, "steps.wav", "-f", "lavfi",
		"-i", "aevalsrc='0.25*sin(2*PI*500*t)*lt(t,1)+0.25*sin(2*PI*1300*t)':s=48000:d=2")
	first, later := level(steps, 500, 0, time.Second), level(steps, 500, 1200*time.Millisecond, 0)
	if first-later < 25 {
		t.Errorf("500 Hz: %.1f dB in the first second, %.1f dB after 1.2 s; want the tone only in the first", first, later)
	}
	if l := level(steps, 1300, 1200*time.Millisecond, 1800*time.Millisecond); !near(l, -15, 1.5) {
		t.Errorf("1300 Hz from 1.2 to 1.8 s: %.1f dB, want about -15 (a quarter-scale sine)", l)
	}

	silent := makeMedia(t, "silent.m4a", "-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo", "-t", "1", "-c:a", "aac")
	if l := level(silent, 500, 0, 0); l > -80 {
		t.Errorf("silence reads %.1f dB at 500 Hz, want under -80", l)
	}

	if _, err := ToneLevel(testContext(t), mix, 500, 5*time.Second, 6*time.Second); err == nil {
		t.Error("a window after the end gave a level")
	}
	if _, err := ToneLevel(testContext(t), mix, 500, time.Second, time.Second); err == nil {
		t.Error("an empty window gave a level")
	}
	video := makeMedia(t, "video.mp4", "-f", "lavfi", "-i", "color=c=red:s=64x64:d=1", "-c:v", "libx264", "-pix_fmt", "yuv420p")
	if _, err := ToneLevel(testContext(t), video, 500, 0, 0); err == nil || !strings.Contains(err.Error(), "matches no streams") {
		t.Errorf("video only: %v; want ffmpeg's error", err)
	}
}
