package mediacheck

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Fixtures are made once, by ffmpeg's lavfi sources, with known properties.
var (
	fixtureOnce sync.Once
	fixtureDir  string
	fixtureErr  error
)

// syncVideo is 6 s of black at 30 fps, white for frames 15–17 of every second: flash onsets
// at 0.5 s, 1.5 s, … 5.5 s.
const syncVideo = "color=c=black:s=320x240:r=30:d=6," +
	"drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='between(mod(n,30),15,17)'"

// beeps is 6 s of silence with a 100 ms, 1 kHz beep starting at 0.5 s + k + offset.
func beeps(offset time.Duration, rate int) string {
	return fmt.Sprintf("aevalsrc='0.5*sin(2*PI*1000*t)*lt(mod(t+%.4f,1),0.1)':s=%d:d=6",
		9.5-offset.Seconds(), rate)
}

type fixture struct {
	name string
	args []string
}

var fixtures = []fixture{
	// H264 + AAC in MP4, sound 40 ms late.
	{"plus40.mp4", []string{"-f", "lavfi", "-i", syncVideo, "-f", "lavfi", "-i", beeps(40*time.Millisecond, 48000),
		"-c:v", "libx264", "-preset", "ultrafast", "-g", "30", "-pix_fmt", "yuv420p",
		"-c:a", "aac", "-b:a", "96k", "-ac", "1", "-movflags", "+faststart"}},
	// The same without faststart: the index (moov) is at the end.
	{"plus40-moov-last.mp4", []string{"-f", "lavfi", "-i", syncVideo, "-f", "lavfi", "-i", beeps(40*time.Millisecond, 48000),
		"-c:v", "libx264", "-preset", "ultrafast", "-g", "30", "-pix_fmt", "yuv420p",
		"-c:a", "aac", "-b:a", "96k", "-ac", "1"}},
	// VP8 + Opus in WebM, sound 60 ms early, from a 44.1 kHz stereo source.
	{"minus60.webm", []string{"-f", "lavfi", "-i", syncVideo, "-f", "lavfi", "-i", beeps(-60*time.Millisecond, 44100),
		"-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "300k", "-g", "30",
		"-c:a", "libopus", "-b:a", "64k", "-ac", "2"}},
	// VP8 + PCM in Matroska, sound 60 ms early: no codec delay anywhere.
	{"minus60-pcm.mkv", []string{"-f", "lavfi", "-i", syncVideo, "-f", "lavfi", "-i", beeps(-60*time.Millisecond, 48000),
		"-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "300k", "-g", "30",
		"-c:a", "pcm_s16le", "-ac", "1"}},
	// VP9 + Opus in WebM whose audio starts 0.5 s after its video; its beeps are 25 ms late
	// on the file's timeline (0.475 s + k on the audio's own clock).
	{"late-audio-plus25.webm", []string{"-f", "lavfi", "-i", syncVideo,
		"-itsoffset", "0.5", "-f", "lavfi", "-i", beeps(25*time.Millisecond-500*time.Millisecond, 48000),
		"-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "300k", "-g", "30",
		"-c:a", "libopus", "-b:a", "64k", "-ac", "1"}},
	// The sync picture with silence, and a tone, for the loudness and no-beep cases.
	{"silent.mp4", []string{"-f", "lavfi", "-i", syncVideo, "-f", "lavfi", "-i", "anullsrc=r=48000:cl=mono",
		"-t", "6", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac"}},
	{"tone.m4a", []string{"-f", "lavfi", "-i", "sine=f=440:r=48000:d=2", "-af", "volume=-6dB", "-c:a", "aac", "-b:a", "128k"}},
	{"video-only.mp4", []string{"-f", "lavfi", "-i", syncVideo,
		"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"}},
}

func testdata(t *testing.T) string {
	t.Helper()
	for _, tool := range []string{FFmpeg, FFprobe} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed: %v", tool, err)
		}
	}
	fixtureOnce.Do(func() {
		fixtureDir, fixtureErr = os.MkdirTemp("", "mediacheck-")
		if fixtureErr != nil {
			return
		}
		var wg sync.WaitGroup
		errs := make([]error, len(fixtures))
		for i, f := range fixtures {
			wg.Go(func() {
				args := append([]string{"-nostdin", "-hide_banner", "-v", "error", "-y"}, f.args...)
				args = append(args, filepath.Join(fixtureDir, f.name))
				if out, err := exec.Command(FFmpeg, args...).CombinedOutput(); err != nil {
					errs[i] = fmt.Errorf("making %s: %v: %s", f.name, err, out)
				}
			})
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				fixtureErr = err
				return
			}
		}
	})
	if fixtureErr != nil {
		t.Fatal(fixtureErr)
	}
	return fixtureDir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fixtureDir != "" {
		os.RemoveAll(fixtureDir)
	}
	os.Exit(code)
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func near(got, want, tolerance float64) bool { return math.Abs(got-want) <= tolerance }

func TestProbe(t *testing.T) {
	dir := testdata(t)
	cases := []struct {
		file        string
		format      string
		vcodec      string
		acodec      string
		rate, chans int
	}{
		{"plus40.mp4", "mov,mp4,m4a,3gp,3g2,mj2", "h264", "aac", 48000, 1},
		{"minus60.webm", "matroska,webm", "vp8", "opus", 48000, 2},
		{"late-audio-plus25.webm", "matroska,webm", "vp9", "opus", 48000, 1},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			path := filepath.Join(dir, c.file)
			info, err := Probe(testContext(t), path)
			if err != nil {
				t.Fatal(err)
			}
			st, _ := os.Stat(path)
			if info.FormatName != c.format || info.Size != st.Size() {
				t.Errorf("format %q, size %d; want %q, %d", info.FormatName, info.Size, c.format, st.Size())
			}
			if !near(info.Duration.Seconds(), 6, 0.1) && !(c.file == "late-audio-plus25.webm" && near(info.Duration.Seconds(), 6.5, 0.1)) {
				t.Errorf("duration %v, want 6s", info.Duration)
			}
			v := info.Video
			if v == nil {
				t.Fatal("no video stream")
			}
			if v.Type != "video" || v.Codec != c.vcodec || v.Width != 320 || v.Height != 240 || v.Frames != 180 ||
				!near(v.FPS, 30, 0.2) || !near(v.Duration.Seconds(), 6, 0.05) {
				t.Errorf("video %+v, want %s 320x240, 180 frames at 30 fps over 6s", *v, c.vcodec)
			}
			a := info.Audio
			if a == nil {
				t.Fatal("no audio stream")
			}
			if a.Type != "audio" || a.Codec != c.acodec || a.SampleRate != c.rate || a.Channels != c.chans ||
				a.Frames == 0 || a.FPS != 0 || !near(a.Duration.Seconds(), 6, 0.1) || a.Index == v.Index {
				t.Errorf("audio %+v, want %s %d Hz, %d channels, about 6s", *a, c.acodec, c.rate, c.chans)
			}
		})
	}
	t.Run("video only", func(t *testing.T) {
		info, err := Probe(testContext(t), filepath.Join(dir, "video-only.mp4"))
		if err != nil {
			t.Fatal(err)
		}
		if info.Audio != nil || info.Video == nil || info.Video.Frames != 180 {
			t.Errorf("got %+v, video %+v; want video only, 180 frames", info, info.Video)
		}
	})
	t.Run("not media", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "notes.mp4")
		os.WriteFile(path, []byte("not a video at all"), 0o644)
		_, err := Probe(testContext(t), path)
		if err == nil || !strings.Contains(err.Error(), "Invalid data") {
			t.Errorf("Probe of a text file: %v; want ffprobe's Invalid data error", err)
		}
	})
}

func TestDecodes(t *testing.T) {
	dir := testdata(t)
	for _, f := range []string{"plus40.mp4", "minus60.webm", "late-audio-plus25.webm", "tone.m4a"} {
		if err := Decodes(testContext(t), filepath.Join(dir, f)); err != nil {
			t.Errorf("Decodes(%s): %v", f, err)
		}
	}
	broken := t.TempDir()
	damage := func(name, src string, fn func([]byte) []byte) string {
		b, err := os.ReadFile(filepath.Join(dir, src))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(broken, name)
		if err := os.WriteFile(path, fn(b), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	half := func(b []byte) []byte { return b[:len(b)/2] }
	garble := func(b []byte) []byte {
		b = append([]byte(nil), b...)
		for i := len(b) / 3; i < len(b)/3+4096; i++ {
			b[i] = byte(i * 7)
		}
		return b
	}
	for _, path := range []string{
		damage("truncated.mp4", "plus40.mp4", half),
		damage("truncated-moov-last.mp4", "plus40-moov-last.mp4", half),
		damage("truncated.webm", "minus60.webm", half),
		damage("garbled.mp4", "plus40.mp4", garble),
		filepath.Join(broken, "missing.mp4"),
	} {
		err := Decodes(testContext(t), path)
		if err == nil {
			t.Errorf("Decodes(%s) succeeded", filepath.Base(path))
			continue
		}
		t.Logf("Decodes(%s): %v", filepath.Base(path), err)
		if !strings.Contains(err.Error(), filepath.Base(path)) || !strings.Contains(err.Error(), ": ") {
			t.Errorf("error %q does not say which file and why", err)
		}
	}
}

func TestLoudness(t *testing.T) {
	dir := testdata(t)
	mean, peak, err := Loudness(testContext(t), filepath.Join(dir, "tone.m4a"))
	if err != nil {
		t.Fatal(err)
	}
	// A full-scale sine is -3 dB mean (RMS); sine= makes 1/8 of full scale (-18 dB), -6 dB more.
	// (AAC's ringing lifts the peak a little.)
	if !near(mean, -27, 1.5) || peak < -25 || peak > -20 {
		t.Errorf("tone: mean %.1f dB, max %.1f dB; want about -27 and -24", mean, peak)
	}
	mean, peak, err = Loudness(testContext(t), filepath.Join(dir, "silent.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	if mean > -80 || peak > -80 {
		t.Errorf("silence: mean %.1f dB, max %.1f dB; want under -80", mean, peak)
	}
	if _, _, err := Loudness(testContext(t), filepath.Join(dir, "video-only.mp4")); err == nil ||
		!strings.Contains(err.Error(), "matches no streams") {
		t.Errorf("Loudness without audio: %v; want ffmpeg's error", err)
	}
}

// firstPTS is the timestamp of the first decoded frame of the file's first stream of a kind
// ("v" or "a"), as ffprobe reports it.
func firstPTS(t *testing.T, path, kind string) time.Duration {
	t.Helper()
	out, err := exec.Command(FFprobe, "-v", "error", "-select_streams", kind+":0", "-read_intervals", "%+#10",
		"-show_entries", "frame=pts_time", "-of", "csv=p=0", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	first, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	d, ok := parseSeconds(strings.Trim(first, ", "))
	if !ok {
		t.Fatalf("ffprobe %s: no first frame pts in %q", path, out)
	}
	return d
}

func TestAVOffsets(t *testing.T) {
	dir := testdata(t)
	cases := []struct {
		file string
		// sound minus picture as the fixture was made, and where it meant each stream to start
		nominal          time.Duration
		videoAt, audioAt time.Duration
	}{
		{"plus40.mp4", 40 * time.Millisecond, 0, 0},
		{"minus60.webm", -60 * time.Millisecond, 0, 0},
		{"minus60-pcm.mkv", -60 * time.Millisecond, 0, 0},
		{"late-audio-plus25.webm", 25 * time.Millisecond, 0, 500 * time.Millisecond},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(dir, c.file)
			// ffmpeg 5.1 muxing Opus into WebM moves a stream by the codec delay (6.5 ms,
			// rounded to WebM's 1 ms): the video when it shifts all timestamps to keep them
			// positive, or the audio when it starts later. Expect the offset as the file's
			// timestamps now place the streams.
			want := c.nominal - (firstPTS(t, path, "v") - c.videoAt) + (firstPTS(t, path, "a") - c.audioAt)
			if absDur(want-c.nominal) > 8*time.Millisecond {
				t.Fatalf("the fixture's streams start %v away from where they were made", want-c.nominal)
			}
			offsets, err := AVOffsets(testContext(t), path)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("offsets %v (want %v, made as %v)", offsets, want, c.nominal)
			if len(offsets) != 6 {
				t.Errorf("%d pairs, want 6", len(offsets))
			}
			for _, o := range offsets {
				if absDur(o-want) > 5*time.Millisecond {
					t.Errorf("offset %v, want %v ± 5ms", o, want)
				}
			}
		})
	}
	t.Run("silent", func(t *testing.T) {
		t.Parallel()
		_, err := AVOffsets(testContext(t), filepath.Join(dir, "silent.mp4"))
		if err == nil || !strings.Contains(err.Error(), "0 flash/beep pairs") || !strings.Contains(err.Error(), "6 flashes") {
			t.Errorf("AVOffsets of a silent file: %v; want 0 pairs of 6 flashes", err)
		}
	})
	t.Run("no audio", func(t *testing.T) {
		t.Parallel()
		if _, err := AVOffsets(testContext(t), filepath.Join(dir, "video-only.mp4")); err == nil {
			t.Error("AVOffsets of a file without audio succeeded")
		}
	})
}

func TestBurstOnsetsSubWindow(t *testing.T) {
	// A burst starting 30 samples into window 100: 0.625 of a window late.
	energy := make([]float64, 300)
	for i := 100; i < 200; i++ {
		energy[i] = 0.125
	}
	energy[100] = 0.125 * 18 / 48
	got := burstOnsets(energy)
	want := time.Duration((100*48 + 30) * float64(time.Second) / 48000)
	if len(got) != 1 || absDur(got[0]-want) > 10*time.Microsecond {
		t.Errorf("onsets %v, want [%v]", got, want)
	}
}

func TestPairOnsets(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		var d []time.Duration
		for _, x := range v {
			d = append(d, time.Duration(x)*time.Millisecond)
		}
		return d
	}
	// A stray beep at 1300 ms and a flash without its beep at 3000 ms.
	got := pairOnsets(ms(1000, 2000, 3000, 4000), ms(1040, 1300, 2030, 3900, 4010), 400*time.Millisecond)
	want := ms(40, 30, 10)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("pairs %v, want %v", got, want)
	}
}

func TestMedianAbs(t *testing.T) {
	for _, c := range []struct {
		in   []time.Duration
		want time.Duration
	}{
		{nil, 0},
		{[]time.Duration{-5}, 5},
		{[]time.Duration{3, -10, 1}, 3},
		{[]time.Duration{-4, 2, 8, -6}, 5},
	} {
		if got := MedianAbs(c.in); got != c.want {
			t.Errorf("MedianAbs(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}
