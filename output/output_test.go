package output_test

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4/pkg/media/ivfreader"
	"github.com/rs/zerolog"

	"mediapush/media"
	"mediapush/output"
)

// TestOutputKeepsWhatQueuedBeforeFFmpegStarted writes every frame it was given, when media
// came faster than ffmpeg started: a session hands its outputs the first seconds it held back
// in one burst, a keyframe in the middle of them, while under load the output's ffmpeg is still
// starting. The frames after that keyframe decode from it; none may be thrown away waiting for
// a keyframe the browser sends only seconds later.
func TestOutputKeepsWhatQueuedBeforeFFmpegStarted(t *testing.T) {
	frames := vp8Frames(t, 90) // 3 s at 30 fps, one keyframe at the start
	dir := t.TempDir()
	dst := filepath.Join(dir, "out.mkv")
	starting := make(chan struct{}) // the output's ffmpeg is starting
	resume := make(chan struct{})
	spec := output.Spec{
		Name: "file",
		Args: []string{"-map", "0:v:0", "-c", "copy", "-f", "matroska", dst},
		Keyframe: func() {
			select {
			case starting <- struct{}{}:
				<-resume
			default: // asked again later: nothing to hold up
			}
		},
		Log: zerolog.Nop(),
	}
	o := output.Start(spec, media.Track{Codec: media.VP8, ClockRate: 90000}, nil)
	sample := func(i int) media.Sample {
		return media.Sample{Frame: frames[i], PTS: time.Duration(i) * time.Second / 30, Keyframe: i == 0}
	}
	<-starting
	// The burst, taken while ffmpeg starts.
	for i := range 45 {
		o.WriteVideo(sample(i)) //nolint:errcheck // never fails
	}
	close(resume)
	// The rest, live, once ffmpeg takes media.
	deadline := time.Now().Add(30 * time.Second)
	for o.Status().State != output.Running {
		if time.Now().After(deadline) {
			t.Fatalf("the output never ran: %+v", o.Status())
		}
		time.Sleep(10 * time.Millisecond)
	}
	for i := 45; i < len(frames); i++ {
		o.WriteVideo(sample(i)) //nolint:errcheck // never fails
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := o.Close(ctx); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-count_packets",
		"-show_entries", "stream=nb_read_packets", "-of", "csv=p=0", dst).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", dst, err)
	}
	if got := strings.TrimSpace(string(out)); got != "90" {
		t.Errorf("the output holds %s frames of 90 (dropped %d)", got, o.Status().Dropped)
	}
}

// TestOutputAsksForAKeyframeAfterADrop asks the source for a keyframe as soon as it had to
// drop a video frame: the frames after it do not decode, and waiting for the source's next
// regular keyframe loses seconds of picture, all of the rest when the session ends first.
func TestOutputAsksForAKeyframeAfterADrop(t *testing.T) {
	frames := vp8Frames(t, 2)
	resume := make(chan struct{})
	asked := make(chan struct{}, 1000)
	spec := output.Spec{
		Name: "file",
		Args: []string{"-map", "0:v:0", "-c", "copy", "-f", "matroska", filepath.Join(t.TempDir(), "out.mkv")},
		Keyframe: func() {
			asked <- struct{}{}
			<-resume // the first, when ffmpeg starts, holds the output up: its queue fills
		},
		Log: zerolog.Nop(),
	}
	o := output.Start(spec, media.Track{Codec: media.VP8, ClockRate: 90000}, nil)
	defer func() {
		close(resume)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		o.Close(ctx) //nolint:errcheck // what it wrote is not the point
	}()
	<-asked
	for i := 0; o.Status().Dropped == 0; i++ {
		o.WriteVideo(media.Sample{Frame: frames[min(i, 1)], PTS: time.Duration(i) * time.Second / 30, Keyframe: i == 0}) //nolint:errcheck // never fails
	}
	select {
	case <-asked:
	case <-time.After(10 * time.Second):
		t.Fatal("a video frame was dropped and no keyframe was asked for")
	}
}

// vp8Frames encodes n frames of VP8 with a keyframe only at the first.
func vp8Frames(t *testing.T, n int) [][]byte {
	t.Helper()
	src := filepath.Join(t.TempDir(), "src.ivf")
	run(t, "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=30", "-frames:v", strconv.Itoa(n), "-c:v", "libvpx",
		"-g", "1000", "-auto-alt-ref", "0", "-lag-in-frames", "0", "-deadline", "realtime", src)
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, _, err := ivfreader.NewWith(f)
	if err != nil {
		t.Fatal(err)
	}
	var frames [][]byte
	for {
		frame, _, err := r.ParseNextFrame()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, frame)
	}
	if len(frames) != n {
		t.Fatalf("encoded %d frames, want %d", len(frames), n)
	}
	return frames
}
