package remix

import (
	"context"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
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
		if reports[i][0] < reports[i-1][0] || (i < len(reports)-1 && reports[i][0] == roomEndMs) {
			t.Errorf("progress went back, or reached the end before it: %v", reports)
		}
	}
	if len(reports) < len(r.opts.Scenes)+1 {
		t.Errorf("progress reported %d times, want once a chunk and at the end: %v", len(reports), reports)
	}
	checkFrameTimes(t, r.opts.Out, 30)
	checkPictures(t, r, r.opts.Out)
	checkTones(t, r.opts.Out)
}

// checkFrameTimes checks the video's frames follow each other at exactly 1/fps, across the
// joins of the chunks too: none dropped, none doubled.
func checkFrameTimes(t *testing.T, path string, fps int) {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts_time",
		"-of", "csv=p=0", path).Output()
	if err != nil {
		t.Fatal(err)
	}
	var pts []float64
	for _, line := range strings.Fields(string(out)) {
		v, err := strconv.ParseFloat(strings.TrimSuffix(line, ","), 64)
		if err != nil {
			t.Fatalf("ffprobe: packet time %q: %v", line, err)
		}
		pts = append(pts, v)
	}
	slices.Sort(pts)
	for i := 1; i < len(pts); i++ {
		if d := pts[i] - pts[i-1]; math.Abs(d-1/float64(fps)) > 0.001 {
			t.Errorf("frames at %.4f s and %.4f s: %.4f s apart, want 1/%d", pts[i-1], pts[i], d, fps)
		}
	}
	if len(pts) > 0 && math.Abs(pts[0]) > 0.001 {
		t.Errorf("the first frame is at %.4f s, want 0", pts[0])
	}
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
		{1500 * time.Millisecond, []mediacheck.Point{px(320, 150), px(200, 280), px(560, 180)},
			[]mediacheck.RGB{red, white, dark}, "alice with carol heard, before bob joins"},
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

// countRuns counts, until the test ends, the ffmpeg runs and those encoding video chunks.
func countRuns(t *testing.T) (all, chunks *int) {
	all, chunks = new(int), new(int)
	ffmpegRuns = func(args []string) {
		*all++
		if slices.Contains(args, "libx264") {
			*chunks++
		}
	}
	t.Cleanup(func() { ffmpegRuns = nil })
	return all, chunks
}

// chunkFiles is the finished chunks in the work directory, with their modification times.
func chunkFiles(t *testing.T, dir string) map[string]time.Time {
	t.Helper()
	files := map[string]time.Time{}
	for _, name := range listDir(t, dir) {
		if strings.HasPrefix(name, "video-") && strings.HasSuffix(name, ".mp4") {
			st, err := os.Stat(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			files[name] = st.ModTime()
		}
	}
	return files
}

func TestRenderResumes(t *testing.T) {
	ctx := testContext(t)
	r := newRoom(t)
	all, chunks := countRuns(t)

	// A whole render, its output removed: a second render only writes the output again.
	if err := Render(ctx, r.opts); err != nil {
		t.Fatal(err)
	}
	total := *chunks
	if total != len(planChunks(r.opts.Scenes, 30)) || total < 4 {
		t.Fatalf("%d chunks rendered, want one per scene here (%d)", total, len(r.opts.Scenes))
	}
	if err := os.Remove(r.opts.Out); err != nil {
		t.Fatal(err)
	}
	*all, *chunks = 0, 0
	if err := Render(ctx, r.opts); err != nil {
		t.Fatal(err)
	}
	if *chunks != 0 || *all != 1 {
		t.Errorf("rendering again with the work directory kept: %d ffmpeg runs, %d of them chunks; want only the output written", *all, *chunks)
	}

	// A render stopped after its first chunk, then run again.
	r.opts.WorkDir = filepath.Join(t.TempDir(), "work")
	r.opts.Out = filepath.Join(t.TempDir(), "out.mp4")
	stopped, cancel := context.WithCancel(ctx)
	opts := r.opts
	opts.Progress = func(done, total int64) {
		if done < total {
			cancel()
		}
	}
	if err := Render(stopped, opts); !errors.Is(err, context.Canceled) {
		t.Fatalf("stopped render: %v, want it cancelled", err)
	}
	if names := listDir(t, filepath.Dir(r.opts.Out)); len(names) != 0 {
		t.Errorf("a stopped render left %v beside the output", names)
	}
	kept := chunkFiles(t, r.opts.WorkDir)
	if len(kept) != 1 {
		t.Fatalf("after stopping, %d chunks in the work directory, want the first", len(kept))
	}
	// What a render killed while writing the output would have left.
	if err := os.WriteFile(filepath.Join(filepath.Dir(r.opts.Out), ".out.mp4.1234.part"), []byte("half"), 0o644); err != nil {
		t.Fatal(err)
	}
	*all, *chunks = 0, 0
	if err := Render(ctx, r.opts); err != nil {
		t.Fatal(err)
	}
	if names := listDir(t, filepath.Dir(r.opts.Out)); !slices.Equal(names, []string{"out.mp4"}) {
		t.Errorf("beside the output after the resumed render: %v, want out.mp4 alone", names)
	}
	if *chunks != total-1 {
		t.Errorf("the resumed render encoded %d chunks, want %d (all but the first)", *chunks, total-1)
	}
	after := chunkFiles(t, r.opts.WorkDir)
	for name, mod := range kept {
		if !after[name].Equal(mod) {
			t.Errorf("chunk %s was written again", name)
		}
	}
	info, err := mediacheck.Probe(ctx, r.opts.Out)
	if err != nil {
		t.Fatal(err)
	}
	if info.Video == nil || info.Video.Frames != roomEndMs*30/1000 {
		t.Errorf("resumed render: video %+v, want %d frames", info.Video, roomEndMs*30/1000)
	}
	checkPictures(t, r, r.opts.Out)
}

func TestRenderMP3(t *testing.T) {
	ctx := testContext(t)
	r := newRoom(t)
	r.opts.Format = FormatMP3
	r.opts.Frames, r.opts.Width, r.opts.Height = nil, 0, 0
	r.opts.Out = filepath.Join(filepath.Dir(r.opts.Out), "out.mp3")
	_, chunks := countRuns(t)
	if err := Render(ctx, r.opts); err != nil {
		t.Fatal(err)
	}
	if *chunks != 0 {
		t.Errorf("an MP3 render encoded %d video chunks", *chunks)
	}
	info, err := mediacheck.Probe(ctx, r.opts.Out)
	if err != nil {
		t.Fatal(err)
	}
	if info.Video != nil || info.Audio == nil || info.Audio.Codec != "mp3" {
		t.Fatalf("out.mp3: video %+v, audio %+v; want MP3 audio alone", info.Video, info.Audio)
	}
	if d := info.Audio.Duration; d < roomEndMs*time.Millisecond-50*time.Millisecond || d > roomEndMs*time.Millisecond+50*time.Millisecond {
		t.Errorf("out.mp3 lasts %v, want 6 s", d)
	}
	checkTones(t, r.opts.Out)
}

func TestRenderMissingSource(t *testing.T) {
	r := newRoom(t)
	if err := os.Remove(filepath.Join(r.opts.SourceDir, "bob.mkv")); err != nil {
		t.Fatal(err)
	}
	err := Render(testContext(t), r.opts)
	if err == nil || !strings.Contains(err.Error(), "bob.mkv") {
		t.Fatalf("error %v, want one naming bob.mkv", err)
	}
	if names := listDir(t, filepath.Dir(r.opts.Out)); len(names) != 0 {
		t.Errorf("a failed render left %v beside the output", names)
	}
	if _, err := os.Stat(r.opts.WorkDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed render made its work directory: %v", err)
	}
}

func TestRenderBadOptions(t *testing.T) {
	r := newRoom(t)
	bad := map[string]func(o *RenderOptions){
		"odd width":           func(o *RenderOptions) { o.Width = 641 },
		"format":              func(o *RenderOptions) { o.Format = "webm" },
		"frame rate":          func(o *RenderOptions) { o.FPS = 1000 },
		"gap between scenes":  func(o *RenderOptions) { o.Scenes[1].FromMs = 1100 },
		"scenes short of end": func(o *RenderOptions) { o.Manifest.EndedMs = ms(7000) },
		"frames missing":      func(o *RenderOptions) { o.Frames = o.Frames[:2] },
		"file outside":        func(o *RenderOptions) { o.Manifest.Publications[0].File = "../alice.mkv" },
		"unknown box":         func(o *RenderOptions) { o.Frames[0].Boxes = []Box{box("mallory", 0, 0, 10, 10)} },
		"recording going on":  func(o *RenderOptions) { o.Manifest.EndedMs = nil },
	}
	for name, change := range bad {
		t.Run(name, func(t *testing.T) {
			o := r.opts
			o.Scenes = slices.Clone(r.opts.Scenes)
			o.Frames = slices.Clone(r.opts.Frames)
			o.Manifest.Publications = slices.Clone(r.opts.Manifest.Publications)
			change(&o)
			if err := Render(testContext(t), o); err == nil {
				t.Errorf("rendered with bad options")
			}
			if names := listDir(t, filepath.Dir(o.Out)); len(names) != 0 {
				t.Errorf("left %v beside the output", names)
			}
		})
	}
}
