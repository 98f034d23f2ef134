package recorder

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/at-wat/ebml-go"

	"mediapush/media"
)

const durationTolerance = 200 * time.Millisecond

// checkVideo asserts what a user would check on the finalized video stream.
func checkVideo(t *testing.T, p probeResult, codec string, frames int) {
	t.Helper()
	v := p.stream("video")
	if v == nil {
		t.Fatalf("no video stream in %+v", p.streams)
	}
	if v.CodecName != codec || v.Width != 640 || v.Height != 360 {
		t.Errorf("video = %s %dx%d, want %s 640x360", v.CodecName, v.Width, v.Height, codec)
	}
	if v.packets() != frames {
		t.Errorf("video has %d frames, want %d", v.packets(), frames)
	}
	if fps := v.fps(); fps < 29 || fps > 31 {
		t.Errorf("video frame rate %.2f, want ~30", fps)
	}
}

func TestRecordMP4(t *testing.T) {
	c := inputClip(t, media.H264)
	src, st := record(t, c, true, 0)
	if st.VideoFrames != int64(len(c.vs)) || st.Width != 640 || st.Height != 360 {
		t.Errorf("stats = %+v, want %d video frames, 640x360", st, len(c.vs))
	}
	if want := countFrom(c.as, c.vs[0].PTS); st.AudioFrames < int64(want)-2 {
		t.Errorf("stats = %+v, want ~%d audio frames", st, want)
	}
	if fi, _ := os.Stat(src); fi.Size() != st.Bytes {
		t.Errorf("file has %d bytes, stats say %d", fi.Size(), st.Bytes)
	}
	checkOrdered(t, src)
	if p := probe(t, src); !strings.Contains(p.format, "matroska") {
		t.Errorf("recording format %q", p.format)
	}

	dst, info := finalize(t, src, MP4)
	p := probe(t, dst)
	if !strings.Contains(p.format, "mp4") {
		t.Errorf("format %q, want mp4", p.format)
	}
	checkVideo(t, p, "h264", len(c.vs))
	a := p.stream("audio")
	if a == nil || a.CodecName != "aac" || a.SampleRate != "48000" || a.Channels != 2 {
		t.Fatalf("audio = %+v, want aac 48000 Hz stereo", a)
	}
	if !near(p.duration, c.duration, durationTolerance) || !near(info.Duration, p.duration, time.Millisecond) {
		t.Errorf("duration %v (Info %v), input %v", p.duration, info.Duration, c.duration)
	}
	if fi, _ := os.Stat(dst); info.Size != fi.Size() {
		t.Errorf("Info.Size %d, file %d", info.Size, fi.Size())
	}
	if v := meanVolume(t, dst); v < -40 {
		t.Errorf("mean volume %.1f dB: audio is silent", v)
	}
	assertFaststart(t, dst)
	assertNoTemp(t, filepath.Dir(dst))
}

// assertFaststart checks that the moov atom comes before mdat.
func assertFaststart(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	moov, mdat := strings.Index(string(b), "moov"), strings.Index(string(b), "mdat")
	if moov < 0 || mdat < 0 || moov > mdat {
		t.Errorf("moov at %d, mdat at %d: not faststart", moov, mdat)
	}
}

func assertNoTemp(t *testing.T, dir string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("temporary file %s left in %s", e.Name(), dir)
		}
	}
}

func TestRecordWebM(t *testing.T) {
	for _, codec := range []media.Codec{media.VP8, media.VP9} {
		t.Run(string(codec), func(t *testing.T) {
			c := inputClip(t, codec)
			src, st := record(t, c, true, 0)
			if st.VideoFrames != int64(len(c.vs)) || st.Width != 640 || st.Height != 360 {
				t.Errorf("stats = %+v, want %d video frames, 640x360", st, len(c.vs))
			}
			checkOrdered(t, src)
			if p := probe(t, src); !strings.Contains(p.format, "webm") {
				t.Errorf("recording format %q, want webm", p.format)
			}
			dst, _ := finalize(t, src, WebM)
			p := probe(t, dst)
			checkVideo(t, p, strings.ToLower(string(codec)), len(c.vs))
			a := p.stream("audio")
			if a == nil || a.CodecName != "opus" || a.Channels != 2 {
				t.Fatalf("audio = %+v, want opus stereo", a)
			}
			if !near(p.duration, c.duration, durationTolerance) {
				t.Errorf("duration %v, input %v", p.duration, c.duration)
			}
			if v := meanVolume(t, dst); v < -40 {
				t.Errorf("mean volume %.1f dB: audio is silent", v)
			}
			assertCuesAndDuration(t, dst)
		})
	}
}

func TestVideoOnly(t *testing.T) {
	for _, tc := range []struct {
		codec media.Codec
		f     Format
	}{{media.H264, MP4}, {media.VP8, WebM}} {
		t.Run(string(tc.codec), func(t *testing.T) {
			c := inputClip(t, tc.codec)
			src, st := record(t, c, false, 0)
			if st.VideoFrames != int64(len(c.vs)) || st.AudioFrames != 0 {
				t.Errorf("stats = %+v", st)
			}
			dst, _ := finalize(t, src, tc.f)
			p := probe(t, dst)
			checkVideo(t, p, strings.ToLower(string(tc.codec)), len(c.vs))
			if a := p.stream("audio"); a != nil {
				t.Errorf("unexpected audio stream %+v", a)
			}
			// Video only: the last frame lasts one frame interval.
			if !near(p.duration, c.vs[len(c.vs)-1].PTS-c.vs[0].PTS, 100*time.Millisecond) {
				t.Errorf("duration %v, input video %v", p.duration, c.vs[len(c.vs)-1].PTS-c.vs[0].PTS)
			}
		})
	}
}

// Samples before the first keyframe are dropped and the file starts at it.
func TestDropBeforeKeyframe(t *testing.T) {
	c := inputClip(t, media.H264)
	const skip = 10 // mid-GOP: the next keyframe is frame 30
	if c.vs[skip].Keyframe || !c.vs[30].Keyframe {
		t.Fatal("unexpected GOP structure of the input")
	}
	src, st := record(t, c, true, skip)
	t0 := c.vs[30].PTS
	if st.VideoFrames != int64(len(c.vs)-30) {
		t.Errorf("wrote %d video frames, want %d", st.VideoFrames, len(c.vs)-30)
	}
	if want := countFrom(c.as, t0); st.AudioFrames < int64(want)-2 || st.AudioFrames > int64(want) {
		t.Errorf("wrote %d audio frames, want %d (those not older than the keyframe)", st.AudioFrames, want)
	}
	if st.Dropped < 20 {
		t.Errorf("dropped %d samples, want >= 20", st.Dropped)
	}
	checkOrdered(t, src)
	dst, _ := finalize(t, src, MP4)
	p := probe(t, dst)
	checkVideo(t, p, "h264", len(c.vs)-30)
	if want := c.duration - t0; !near(p.duration, want, durationTolerance) {
		t.Errorf("duration %v, want %v", p.duration, want)
	}
}

func TestFinalizeErrors(t *testing.T) {
	vp8 := inputClip(t, media.VP8)
	h264 := inputClip(t, media.H264)
	vp8src, _ := record(t, vp8, true, 0)
	h264src, _ := record(t, h264, true, 0)
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.mkv")
	os.WriteFile(garbage, []byte(strings.Repeat("not a matroska file ", 100)), 0o644)
	ctx := t.Context()
	for _, tc := range []struct {
		name string
		src  string
		f    Format
		want string
	}{
		{"VP8 to mp4", vp8src, MP4, "recorder: mp4 needs H264 video, got VP8"},
		{"H264 to webm", h264src, WebM, "recorder: webm needs VP8 or VP9 video, got H264"},
		{"unknown format", vp8src, Format("avi"), `"avi" is not a file format`},
		{"missing source", filepath.Join(dir, "missing.mkv"), WebM, "no such file"},
		{"garbage", garbage, WebM, "not a Matroska recording"},
	} {
		dst := filepath.Join(dir, "out")
		_, err := Finalize(ctx, tc.src, dst, tc.f)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error = %v, want %q", tc.name, err, tc.want)
		}
		if _, err := os.Stat(dst); err == nil {
			t.Errorf("%s: destination written", tc.name)
		}
	}

	// Blocks zeroed after the header: ffmpeg reads no media.
	b, _ := os.ReadFile(vp8src)
	cut := mustListBlocks(t, vp8src)[0].end - 200
	for i := cut; i < int64(len(b)); i++ {
		b[i] = 0
	}
	zeroed := filepath.Join(dir, "zeroed.mkv")
	os.WriteFile(zeroed, b[:cut+1000], 0o644)
	_, err := Finalize(ctx, zeroed, filepath.Join(dir, "zeroed.webm"), WebM)
	if err == nil || !strings.Contains(err.Error(), "without media") {
		t.Errorf("zeroed recording: error = %v", err)
	}

	// ffmpeg failing: its stderr is in the error.
	b, _ = os.ReadFile(h264src)
	i := strings.Index(string(b), "OpusHead")
	b[i+9] = 0 // channel count
	badOpus := filepath.Join(dir, "badopus.mkv")
	os.WriteFile(badOpus, b, 0o644)
	_, err = Finalize(ctx, badOpus, filepath.Join(dir, "badopus.mp4"), MP4)
	if err == nil || !strings.Contains(err.Error(), "ffmpeg: exit status") || !strings.Contains(err.Error(), "channel count") {
		t.Errorf("bad OpusHead: error = %v, want ffmpeg's message", err)
	} else {
		t.Logf("bad OpusHead: %v", err)
	}

	// Cancelled context.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = Finalize(cctx, h264src, filepath.Join(dir, "c.mp4"), MP4)
	if err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Errorf("cancelled: error = %v", err)
	}
	assertNoTemp(t, dir)
}

// assertCuesAndDuration checks that a WebM file has a seek index and a
// duration in its header.
func assertCuesAndDuration(t *testing.T, path string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Header struct {
			DocType string `ebml:"EBMLDocType"`
		} `ebml:"EBML"`
		Segment struct {
			Info struct{ Duration float64 }
			Cues struct {
				CuePoint []struct{ CueTime uint64 }
			}
		}
	}
	if err := ebml.Unmarshal(bytes.NewReader(raw), &doc); err != nil && !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	if doc.Header.DocType != "webm" || doc.Segment.Info.Duration == 0 || len(doc.Segment.Cues.CuePoint) == 0 {
		t.Errorf("DocType %q, Duration %v, %d cue points", doc.Header.DocType, doc.Segment.Info.Duration, len(doc.Segment.Cues.CuePoint))
	}
}
