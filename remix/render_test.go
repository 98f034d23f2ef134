package remix

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"mediapush/internal/mediacheck"
)

// px is a point of the room's picture in pixels, as mediacheck wants it.
func px(x, y float64) mediacheck.Point { return mediacheck.Point{X: x / roomW, Y: y / roomH} }

func TestRender(t *testing.T) {
	ctx := testContext(t)
	r := newRoom(t)
	var reports [][2]int64
	r.opts.Progress = func(done, total int64) { reports = append(reports, [2]int64{done, total}) }
	if err := Render(ctx, r.opts); err != nil {
		t.Fatal(err)
	}
	info, err := mediacheck.Probe(ctx, r.opts.Out)
	if err != nil {
		t.Fatal(err)
	}
	v, a := info.Video, info.Audio
	if v == nil || a == nil {
		t.Fatalf("out.mp4 holds video %v, audio %v; want both", v, a)
	}
	if v.Codec != "h264" || v.Width != roomW || v.Height != roomH {
		t.Errorf("video is %s %dx%d, want h264 %dx%d", v.Codec, v.Width, v.Height, roomW, roomH)
	}
	if want := int64(roomEndMs * 30 / 1000); v.Frames != want {
		t.Errorf("video has %d frames, want %d (6 s at 30 fps)", v.Frames, want)
	}
	if math.Abs(v.FPS-30) > 0.01 {
		t.Errorf("video is at %.3f fps, want 30", v.FPS)
	}
	frame := time.Second / 30
	for what, d := range map[string]time.Duration{"file": info.Duration, "video": v.Duration, "audio": a.Duration} {
		if d < roomEndMs*time.Millisecond-frame || d > roomEndMs*time.Millisecond+frame {
			t.Errorf("%s lasts %v, want 6 s within a frame", what, d)
		}
	}
	if a.Codec != "aac" || a.SampleRate != 48000 {
		t.Errorf("audio is %s at %d Hz, want aac at 48000", a.Codec, a.SampleRate)
	}
	if len(reports) == 0 || reports[len(reports)-1] != [2]int64{roomEndMs, roomEndMs} {
		t.Errorf("progress reports %v, want the last at 6000 of 6000", reports)
	}
	for i := 1; i < len(reports); i++ {
		if reports[i][0] < reports[i-1][0] {
			t.Errorf("progress went back: %v", reports)
		}
	}
	if d := os.Getenv("KEEPOUT"); d != "" {
		b, _ := os.ReadFile(r.opts.Out)
		os.WriteFile(filepath.Join(d, "out.mp4"), b, 0o644)
	}
	checkPictures(t, r, r.opts.Out)
	checkTones(t, r.opts.Out)
}

// checkPictures looks at the video before and after each join and leave: each participant's
// colour in its box, the label over alice's picture, the page around, and no key colour.
func checkPictures(t *testing.T, r room, path string) {
	t.Helper()
	ctx := testContext(t)
	red := mediacheck.RGB{R: 254, G: 0, B: 0}
	green := mediacheck.RGB{R: 0, G: 255, B: 0}
	white := mediacheck.RGB{R: 255, G: 255, B: 255}
	dark := mediacheck.RGB{R: 32, G: 32, B: 32}
	type want struct {
		at     time.Duration
		points []mediacheck.Point
		colour []mediacheck.RGB
		what   string
	}
	wants := []want{
		{500 * time.Millisecond, []mediacheck.Point{px(320, 150), px(200, 280), px(20, 20), px(470, 80)},
			[]mediacheck.RGB{red, white, dark, red}, "alice alone: picture, label, page, corner of the picture"},
		{1500 * time.Millisecond, []mediacheck.Point{px(320, 150), px(200, 280)},
			[]mediacheck.RGB{red, white}, "alice with carol heard"},
		{3 * time.Second, []mediacheck.Point{px(160, 150), px(300, 150), px(480, 180), px(630, 80), px(50, 280), px(320, 20)},
			[]mediacheck.RGB{red, red, green, green, white, dark}, "alice left, bob right cropped to his tile"},
		{4700 * time.Millisecond, []mediacheck.Point{px(320, 180), px(10, 10), px(630, 350)},
			[]mediacheck.RGB{green, green, green}, "bob alone after alice left"},
		{5800 * time.Millisecond, []mediacheck.Point{px(320, 180)},
			[]mediacheck.RGB{green}, "bob's last picture held after his file ends"},
	}
	for _, w := range wants {
		got, err := mediacheck.FrameColors(ctx, path, w.at, w.points)
		if err != nil {
			t.Fatal(err)
		}
		for i := range got {
			if !got[i].Near(w.colour[i], 40) {
				t.Errorf("at %v (%s): at %v colour %v, want %v", w.at, w.what, w.points[i], got[i], w.colour[i])
			}
		}
		checkNoKeyColour(t, path, w.at)
	}
}

// checkNoKeyColour samples the frame at at on a fine grid and around the boxes' edges.
func checkNoKeyColour(t *testing.T, path string, at time.Duration) {
	t.Helper()
	var points []mediacheck.Point
	for y := 2.0; y < roomH; y += 8 {
		for x := 2.0; x < roomW; x += 8 {
			points = append(points, px(x, y))
		}
	}
	// Edges of the boxes, where a fringe would be.
	for _, x := range []float64{0, 159, 160, 161, 319, 320, 321, 479, 480, 481, 639} {
		for y := 58.0; y <= 302; y += 4 {
			points = append(points, px(x, y))
		}
	}
	got, err := mediacheck.FrameColors(testContext(t), path, at, points)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range got {
		// Magenta, or a pink tint of it over a picture or the page.
		r, g, b := int(c.R), int(c.G), int(c.B)
		if mediacheck.ColorName(c) == "magenta" || (r > g+60 && b > g+60 && r-b < 60 && b-r < 60) {
			t.Errorf("at %v: key colour shows at %.0f,%.0f: %v", at, points[i].X*roomW, points[i].Y*roomH, c)
			return
		}
	}
}

// checkTones checks each participant is heard while in the room and not otherwise.
func checkTones(t *testing.T, path string) {
	t.Helper()
	ctx := testContext(t)
	sec := func(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
	cases := []struct {
		freq     float64
		from, to float64
		heard    bool
	}{
		{aliceTone, 0.3, 4.3, true}, {aliceTone, 4.7, 6, false},
		{carolTone, 0, 0.9, false}, {carolTone, 1.2, 4.8, true}, {carolTone, 5.2, 6, false},
		{bobTone, 0, 1.9, false}, {bobTone, 2.3, 5.9, true},
	}
	for _, c := range cases {
		level, err := mediacheck.ToneLevel(ctx, path, c.freq, sec(c.from), sec(c.to))
		if err != nil {
			t.Fatal(err)
		}
		if c.heard && level < -35 || !c.heard && level > -60 {
			t.Errorf("%g Hz from %g s to %g s: %.1f dB, want it %s", c.freq, c.from, c.to, level, map[bool]string{true: "heard", false: "silent"}[c.heard])
		}
	}
}

// listDir is the names in dir.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

var _ = fmt.Sprint
var _ = filepath.Join
