package recorder

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"mediapush/media"
)

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"mp4": MP4, "MP4": MP4, " WebM ": WebM, "webm": WebM, "mp3": MP3, "HLS": HLS} {
		got, err := ParseFormat(in)
		if err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "mkv", "aac", "web m"} {
		if _, err := ParseFormat(in); err == nil || !strings.Contains(err.Error(), "unknown format") {
			t.Errorf("ParseFormat(%q) error = %v, want unknown format", in, err)
		}
	}
}

func TestAccepts(t *testing.T) {
	for _, tc := range []struct {
		f    Format
		c    media.Codec
		want bool
	}{
		{MP4, media.H264, true}, {MP4, media.VP8, false}, {MP4, media.VP9, false}, {MP4, media.Opus, true},
		{WebM, media.H264, false}, {WebM, media.VP8, true}, {WebM, media.VP9, true}, {WebM, media.Opus, true},
		{Format("avi"), media.H264, false},
	} {
		if got := tc.f.Accepts(tc.c); got != tc.want {
			t.Errorf("%s.Accepts(%s) = %v", tc.f, tc.c, got)
		}
	}
}

func TestCreateErrors(t *testing.T) {
	dir := t.TempDir()
	opus := &media.Track{Codec: media.Opus, ClockRate: 48000, Channels: 2}
	for _, tc := range []struct {
		name  string
		video media.Track
		audio *media.Track
		want  string
	}{
		{"audio as video", media.Track{Codec: media.Opus}, nil, "video track has codec Opus"},
		{"no video codec", media.Track{}, nil, "video track has codec none"},
		{"video as audio", media.Track{Codec: media.H264}, &media.Track{Codec: media.VP8}, "audio track has codec VP8, want Opus"},
		{"surround", media.Track{Codec: media.VP8}, &media.Track{Codec: media.Opus, Channels: 6}, "6 channels"},
	} {
		_, err := Create(filepath.Join(dir, "x.mkv"), tc.video, tc.audio)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error = %v, want %q", tc.name, err, tc.want)
		}
	}
	path := filepath.Join(dir, "exists.mkv")
	os.WriteFile(path, []byte("partial recording"), 0o644)
	if _, err := Create(path, media.Track{Codec: media.VP8}, opus); !errors.Is(err, os.ErrExist) {
		t.Errorf("Create over an existing file: %v, want ErrExist", err)
	}
	if _, err := Create(filepath.Join(dir, "missing", "x.mkv"), media.Track{Codec: media.VP8}, opus); err == nil {
		t.Error("Create in a missing directory succeeded")
	}
}

// vp8Frame makes a fake VP8 frame: a keyframe header with a size, or an
// interframe tag.
func vp8Frame(key bool, n int) []byte {
	b := make([]byte, n)
	if key {
		copy(b, []byte{0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A, 0x80, 0x02, 0x68, 0x01}) // 640x360
	} else {
		b[0] = 0x01
	}
	return b
}

func TestWriterBeforeKeyframeAndClose(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.mkv")
	w, err := Create(path, media.Track{Codec: media.VP8, ClockRate: 90000}, &media.Track{Codec: media.Opus, ClockRate: 48000, Channels: 2})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		if err := w.WriteVideo(media.Sample{PTS: time.Duration(i) * 33 * time.Millisecond, Frame: vp8Frame(false, 100)}); err != nil {
			t.Fatal(err)
		}
		if err := w.WriteAudio(media.Sample{PTS: time.Duration(i) * 20 * time.Millisecond, Frame: []byte{0xFC, 1, 2}}); err != nil {
			t.Fatal(err)
		}
	}
	if st := w.Stats(); st.VideoFrames != 0 || st.AudioFrames != 0 || st.Bytes != 0 {
		t.Errorf("stats before keyframe = %+v, want nothing written", st)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := w.WriteVideo(media.Sample{Frame: vp8Frame(true, 100)}); !errors.Is(err, ErrClosed) {
		t.Errorf("write after Close: %v, want ErrClosed", err)
	}
	if fi, _ := os.Stat(path); fi.Size() != 0 {
		t.Errorf("file has %d bytes, want none", fi.Size())
	}
	_, err = Finalize(t.Context(), path, filepath.Join(dir, "a.webm"), WebM)
	if err == nil || !strings.Contains(err.Error(), "is empty") {
		t.Errorf("Finalize of an empty recording: %v", err)
	}
	if err := Repair(path); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("Repair of an empty recording: %v", err)
	}
}

// A sample left waiting for a silent track is written after the interleave
// window even if nothing else arrives; the silent track is then not waited
// for until it delivers again, and its samples older than what is written
// are dropped.
func TestWriterWaitsAtMostWindow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.mkv")
	w, err := Create(path, media.Track{Codec: media.VP8}, &media.Track{Codec: media.Opus})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	start := time.Now()
	if err := w.WriteVideo(media.Sample{PTS: time.Second, Frame: vp8Frame(true, 1000)}); err != nil {
		t.Fatal(err)
	}
	if st := w.Stats(); st.VideoFrames != 0 || st.Width != 640 || st.Height != 360 {
		t.Errorf("stats right after keyframe = %+v, want it waiting for audio, 640x360", st)
	}
	for w.Stats().VideoFrames == 0 {
		if time.Since(start) > 2*time.Second {
			t.Fatal("keyframe not written 2 s after it was given")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if d := time.Since(start); d < interleaveWindow-20*time.Millisecond {
		t.Errorf("keyframe written after %v, before the interleave window", d)
	}
	if st := w.Stats(); st.Bytes == 0 {
		t.Errorf("stats = %+v, want bytes written", st)
	}
	// Audio counts as stalled now: video is not held back any more.
	w.WriteVideo(media.Sample{PTS: 1033 * time.Millisecond, Frame: vp8Frame(false, 500)})
	if st := w.Stats(); st.VideoFrames != 2 {
		t.Errorf("stats = %+v, want the second frame written at once", st)
	}
	// Audio older than the keyframe: dropped at once.
	w.WriteAudio(media.Sample{PTS: 900 * time.Millisecond, Frame: []byte{0xFC, 0}})
	// Audio after the keyframe but older than what is written: dropped.
	w.WriteAudio(media.Sample{PTS: 1020 * time.Millisecond, Frame: []byte{0xFC, 0}})
	// Audio is back: video waits for it again.
	w.WriteVideo(media.Sample{PTS: 1066 * time.Millisecond, Frame: vp8Frame(false, 500)})
	if st := w.Stats(); st.VideoFrames != 2 {
		t.Errorf("stats = %+v, want the third frame waiting for audio", st)
	}
	w.WriteAudio(media.Sample{PTS: 1060 * time.Millisecond, Frame: []byte{0xFC, 0}})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	st := w.Stats()
	if st.VideoFrames != 3 || st.AudioFrames != 1 || st.Dropped != 2 || st.Duration != 66*time.Millisecond {
		t.Errorf("stats = %+v, want 3 video, 1 audio, 2 dropped, duration 66ms", st)
	}
	bs := mustListBlocks(t, path)
	if len(bs) != 4 || bs[0].ts != 0 || !bs[0].key || bs[1].ts != 33*time.Millisecond ||
		bs[2].ts != 60*time.Millisecond || bs[2].track != 2 || bs[3].ts != 66*time.Millisecond {
		t.Errorf("blocks = %+v, want video at 0 and 33ms, audio at 60ms, video at 66ms", bs)
	}
}

// One track running far ahead of the other (a fast producer) blocks instead
// of losing the other track's samples.
func TestWriterBackpressure(t *testing.T) {
	c := inputClip(t, media.VP8)
	path := filepath.Join(t.TempDir(), "a.mkv")
	w, err := Create(path, c.video, c.audio)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		for _, s := range c.vs {
			if err := w.WriteVideo(s); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	// Audio starts 100 ms later (wall clock): video must wait for it.
	time.Sleep(100 * time.Millisecond)
	for _, s := range c.as {
		if err := w.WriteAudio(s); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	st := w.Stats()
	wantAudio := countFrom(c.as, c.vs[0].PTS)
	if st.VideoFrames != int64(len(c.vs)) || st.AudioFrames != int64(wantAudio) {
		t.Errorf("stats = %+v, want %d video and %d audio frames", st, len(c.vs), wantAudio)
	}
	checkOrdered(t, path)
}

// countFrom counts samples with PTS >= from.
func countFrom(ss []media.Sample, from time.Duration) int {
	n := 0
	for _, s := range ss {
		if s.PTS >= from {
			n++
		}
	}
	return n
}

// checkOrdered asserts that the blocks of a recording are in
// non-decreasing time order and start at 0.
func checkOrdered(t *testing.T, path string) {
	t.Helper()
	bs := mustListBlocks(t, path)
	if len(bs) == 0 {
		t.Fatal("no blocks")
	}
	if bs[0].ts != 0 || bs[0].track != 1 || !bs[0].key {
		t.Errorf("first block %+v, want a video keyframe at 0", bs[0])
	}
	for i := 1; i < len(bs); i++ {
		if bs[i].ts < bs[i-1].ts {
			t.Fatalf("block %d at %v before block %d at %v", i, bs[i].ts, i-1, bs[i-1].ts)
		}
	}
}

func TestNoGoroutineLeak(t *testing.T) {
	c := inputClip(t, media.VP8)
	settle := func(limit int) int {
		n := runtime.NumGoroutine()
		for i := 0; i < 100 && n > limit; i++ {
			time.Sleep(10 * time.Millisecond)
			n = runtime.NumGoroutine()
		}
		return n
	}
	time.Sleep(20 * time.Millisecond) // let goroutines of earlier tests end
	before := runtime.NumGoroutine()
	dir := t.TempDir()
	for i, audio := range []*media.Track{c.audio, nil} {
		w, err := Create(filepath.Join(dir, "r"+string(rune('0'+i))+".mkv"), c.video, audio)
		if err != nil {
			t.Fatal(err)
		}
		if err := feed(w, c, c.vs[:40], c.as[:60], 0); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	// Closed before any keyframe.
	w, err := Create(filepath.Join(dir, "empty.mkv"), c.video, c.audio)
	if err != nil {
		t.Fatal(err)
	}
	w.WriteAudio(c.as[0])
	w.Close()
	if after := settle(before); after > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines before, %d after Close:\n%s", before, after, buf[:runtime.Stack(buf, true)])
	}
}

// Stats may be read while both tracks are written (go test -race).
func TestStatsConcurrent(t *testing.T) {
	c := inputClip(t, media.VP8)
	w, err := Create(filepath.Join(t.TempDir(), "a.mkv"), c.video, c.audio)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		var last Stats
		for {
			select {
			case <-stop:
				return
			default:
			}
			st := w.Stats()
			if st.Bytes < last.Bytes || st.VideoFrames < last.VideoFrames || st.Duration < last.Duration {
				t.Errorf("stats went backwards: %+v after %+v", st, last)
				return
			}
			last = st
			runtime.Gosched()
		}
	}()
	if err := feed(w, c, c.vs, c.as, 0); err != nil {
		t.Fatal(err)
	}
	w.Close()
	close(stop)
	wg.Wait()
}

// An H264 keyframe can start the recording with SPS/PPS sent earlier, not
// without any.
func TestH264ParamSetsBeforeKeyframe(t *testing.T) {
	c := inputClip(t, media.H264)
	key := c.vs[0]
	if len(key.NALUs) < 3 || key.NALUs[0][0]&0x1F != 7 || key.NALUs[1][0]&0x1F != 8 {
		t.Fatal("unexpected first access unit")
	}
	w, err := Create(filepath.Join(t.TempDir(), "a.mkv"), c.video, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	bare := media.Sample{PTS: -time.Second, Keyframe: true, NALUs: key.NALUs[2:]}
	if err := w.WriteVideo(bare); err != nil {
		t.Fatal(err)
	}
	if st := w.Stats(); st.Bytes != 0 || st.Dropped != 1 {
		t.Fatalf("keyframe without SPS/PPS: stats %+v, want it dropped", st)
	}
	// Parameter sets alone (as some senders packetize them), then the IDR.
	w.WriteVideo(media.Sample{PTS: -time.Second + time.Millisecond, NALUs: key.NALUs[:2]})
	bare.PTS = -time.Second + 2*time.Millisecond
	if err := w.WriteVideo(bare); err != nil {
		t.Fatal(err)
	}
	for _, s := range c.vs[1:5] {
		s.PTS -= time.Second
		w.WriteVideo(s)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if st := w.Stats(); st.VideoFrames != 5 || st.Width != 640 || st.Height != 360 {
		t.Errorf("stats %+v, want 5 frames of 640x360", st)
	}
	if err := w.WriteAudio(media.Sample{Frame: []byte{1}}); err == nil {
		t.Error("WriteAudio after Close succeeded")
	}
}

func TestWriteAudioWithoutAudioTrack(t *testing.T) {
	w, err := Create(filepath.Join(t.TempDir(), "a.mkv"), media.Track{Codec: media.VP8}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.WriteAudio(media.Sample{Frame: []byte{0xFC}}); err == nil || !strings.Contains(err.Error(), "without audio track") {
		t.Errorf("error = %v", err)
	}
}

// An audio track that never receives a packet still finalizes.
func TestAudioTrackWithoutPackets(t *testing.T) {
	c := inputClip(t, media.H264)
	cc := *c
	cc.as = nil
	src, st := record(t, &cc, true, 0)
	if st.AudioFrames != 0 {
		t.Fatalf("stats %+v", st)
	}
	dst, info := finalize(t, src, MP4)
	p := probe(t, dst)
	if p.stream("video") == nil || info.Duration < 3*time.Second {
		t.Errorf("streams %+v, duration %v", p.streams, info.Duration)
	}
	t.Logf("streams %+v", p.streams)
}

// A failing file turns into errors from the Writer: no panic from ebml-go,
// no goroutine stuck on its channel.
func TestWriteErrors(t *testing.T) {
	c := inputClip(t, media.VP8)
	time.Sleep(20 * time.Millisecond)
	before := runtime.NumGoroutine()
	for _, failAt := range []int{0, 10} { // while writing the header, while writing blocks
		w, err := Create(filepath.Join(t.TempDir(), "a.mkv"), c.video, c.audio)
		if err != nil {
			t.Fatal(err)
		}
		var werr error
		for i, s := range c.vs[:40] {
			if i == failAt {
				w.sink.f.Close() // every later write(2) fails
			}
			if werr = w.WriteVideo(s); werr != nil {
				break
			}
			if werr = w.WriteAudio(c.as[i]); werr != nil {
				break
			}
		}
		if werr == nil || !strings.Contains(werr.Error(), "file already closed") {
			t.Errorf("fail at %d: write error = %v", failAt, werr)
		}
		if err := w.Close(); err == nil || !strings.Contains(err.Error(), "recorder: writing") {
			t.Errorf("fail at %d: Close error = %v", failAt, err)
		}
	}
	for i := 0; i < 100 && runtime.NumGoroutine() > before; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines before, %d after", before, n)
	}
}
