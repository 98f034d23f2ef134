package rtmptest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"mediapush/internal/mediacheck"
)

// push publishes a test pattern with a tone to url in real time (-re), as a live encoder
// would, for d. The caller waits for it.
func push(t *testing.T, url string, d time.Duration) *exec.Cmd {
	t.Helper()
	if _, err := exec.LookPath(mediacheck.FFmpeg); err != nil {
		t.Fatalf("%s is not installed: %v", mediacheck.FFmpeg, err)
	}
	cmd := exec.CommandContext(t.Context(), mediacheck.FFmpeg, "-nostdin", "-hide_banner", "-v", "error",
		"-re", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-f", "lavfi", "-i", "sine",
		"-t", seconds(d), "-c:v", "libx264", "-preset", "ultrafast", "-g", "50", "-c:a", "aac",
		"-f", "flv", url)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

func seconds(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) }

// checkRecording probes a recording: H.264 320×240 and AAC, lasting about want.
func checkRecording(t *testing.T, path string, want time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	info, err := mediacheck.Probe(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if v := info.Video; v == nil || v.Codec != "h264" || v.Width != 320 || v.Height != 240 {
		t.Errorf("%s: video %+v, want h264 320x240", filepath.Base(path), v)
	}
	if a := info.Audio; a == nil || a.Codec != "aac" {
		t.Errorf("%s: audio %+v, want aac", filepath.Base(path), a)
	}
	if diff := (info.Duration - want).Abs(); diff > 500*time.Millisecond {
		t.Errorf("%s lasts %v, want %v", filepath.Base(path), info.Duration, want)
	}
	t.Logf("%s: %v, %d video frames", filepath.Base(path), info.Duration, info.Video.Frames)
}

func TestRecordsAPush(t *testing.T) {
	begin := time.Now()
	s := Start(t)
	t.Logf("nginx accepting after %v", time.Since(begin))

	begin = time.Now()
	if err := push(t, s.URL("cam"), 3*time.Second).Wait(); err != nil {
		t.Fatalf("pushing: %v", err)
	}
	t.Logf("pushed 3 s in %v", time.Since(begin))
	recs := s.Recordings("cam")
	if len(recs) != 1 {
		t.Fatalf("recordings of cam: %q, want one", recs)
	}
	checkRecording(t, recs[0], 3*time.Second)
}

func TestStopRestart(t *testing.T) {
	s := Start(t)
	// A push much longer than the test, cut short by the server going away.
	cut := push(t, s.URL("cam"), time.Minute)
	waitRecording(t, s, "cam", 50<<10)

	begin := time.Now()
	s.Stop()
	exited := make(chan error, 1)
	go func() { exited <- cut.Wait() }()
	select {
	case err := <-exited:
		if err == nil {
			t.Error("ffmpeg ended well with its server gone")
		}
		t.Logf("ffmpeg noticed the server gone after %v: %v", time.Since(begin), err)
	case <-time.After(10 * time.Second):
		t.Fatal("ffmpeg still pushing 10 s after the server went away")
	}

	begin = time.Now()
	s.Restart(t)
	t.Logf("nginx accepting again after %v", time.Since(begin))
	if err := push(t, s.URL("cam"), 2*time.Second).Wait(); err != nil {
		t.Fatalf("pushing after the restart: %v", err)
	}
	recs := s.Recordings("cam")
	if len(recs) != 2 {
		t.Fatalf("recordings of cam: %q, want the cut one and the one after the restart", recs)
	}
	checkRecording(t, recs[1], 2*time.Second)
	// The cut recording holds what arrived before the kill.
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if info, err := mediacheck.Probe(ctx, recs[0]); err != nil || info.Video == nil || info.Video.Frames == 0 {
		t.Errorf("the recording cut by the kill: %+v, %v; want some video", info, err)
	}
}

// waitRecording waits until the stream's latest recording holds at least size bytes.
func waitRecording(t *testing.T, s *Server, stream string, size int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if recs := s.Recordings(stream); len(recs) > 0 {
			if fi, err := os.Stat(recs[len(recs)-1]); err == nil && fi.Size() >= size {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no recording of %s reached %d bytes in 10 s", stream, size)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Recordings matches whole names, so that a stream's name that starts another's does not
// take its files, and orders them by the time in their name, not as text.
func TestRecordingsNames(t *testing.T) {
	s := &Server{recDir: t.TempDir()}
	for _, name := range []string{"cam-1700000010.flv", "cam-999999999.flv", "cam-2-1700000000.flv",
		"cam.flv", "cam-1700000020.flv.tmp", "camera-1700000000.flv"} {
		if err := os.WriteFile(filepath.Join(s.recDir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, p := range s.Recordings("cam") {
		got = append(got, filepath.Base(p))
	}
	if want := []string{"cam-999999999.flv", "cam-1700000010.flv"}; !slices.Equal(got, want) {
		t.Errorf("Recordings(cam) = %q, want %q", got, want)
	}
	if got := s.Recordings("cam-2"); len(got) != 1 || filepath.Base(got[0]) != "cam-2-1700000000.flv" {
		t.Errorf("Recordings(cam-2) = %q", got)
	}
}
