package output_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"mediapush/output"
)

// TestTimeLastSegment gives the last segment of an ended playlist the duration of its media:
// ffmpeg lists the segment no keyframe closed with the sum of its frames' guessed durations,
// a few milliseconds for a browser's capture.
func TestTimeLastSegment(t *testing.T) {
	for _, tool := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed (scripts/deps.sh installs it): %v", tool, err)
		}
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "src.mkv")
	// 4.5 s at 24 fps with sound, keyframes at 0 and 2 s: the last segment lasts 2.5 s.
	run(t, "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=24", "-f", "lavfi", "-i", "sine=sample_rate=48000",
		"-t", "4.5", "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast", "-bf", "0",
		"-g", "1000", "-force_key_frames", "0,2", "-c:a", "libopus", src)
	run(t, append([]string{"-f", "matroska", "-i", src}, output.HLS(dir, "clip", 0).Args...)...)
	playlist := filepath.Join(dir, "clip.m3u8")
	b, err := os.ReadFile(playlist)
	if err != nil {
		t.Fatal(err)
	}
	// What ffmpeg writes for a capture: the last segment timed as a few 1 ms frames.
	last := regexp.MustCompile(`(?s)#EXTINF:[0-9.]+,(\s*clip_\d+\.m4s\s*#EXT-X-ENDLIST)`)
	if !last.Match(b) {
		t.Fatalf("the playlist has no last segment to time:\n%s", b)
	}
	if err := os.WriteFile(playlist, last.ReplaceAll(b, []byte("#EXTINF:0.061000,$1")), 0o644); err != nil {
		t.Fatal(err)
	}

	if err := output.TimeLastSegment(context.Background(), playlist); err != nil {
		t.Fatal(err)
	}
	b, err = os.ReadFile(playlist)
	if err != nil {
		t.Fatal(err)
	}
	durations := extinfs(t, string(b))
	if n := len(durations); n != 2 || durations[n-1] < 2400*time.Millisecond || durations[n-1] > 2600*time.Millisecond ||
		!strings.HasSuffix(string(b), "#EXT-X-ENDLIST\n") {
		t.Fatalf("segments %v, want 2 s then 2.5 s:\n%s", durations, b)
	}
}

// TestTimeLastSegmentRefusesOtherFiles: a playlist naming a file elsewhere is not followed.
func TestTimeLastSegmentRefusesOtherFiles(t *testing.T) {
	dir := t.TempDir()
	playlist := filepath.Join(dir, "x.m3u8")
	body := "#EXTM3U\n#EXT-X-MAP:URI=\"x_init.mp4\"\n#EXTINF:2.0,\n../../etc/passwd\n#EXT-X-ENDLIST\n"
	if err := os.WriteFile(playlist, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := output.TimeLastSegment(context.Background(), playlist); err == nil {
		t.Fatal("a segment outside the playlist's directory was timed")
	}
	if b, _ := os.ReadFile(playlist); string(b) != body {
		t.Fatalf("the playlist changed:\n%s", b)
	}
}

func run(t *testing.T, args ...string) {
	t.Helper()
	args = append([]string{"-nostdin", "-hide_banner", "-loglevel", "error", "-y"}, args...)
	if out, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg %v: %v\n%s", args, err, out)
	}
}

func extinfs(t *testing.T, playlist string) []time.Duration {
	t.Helper()
	var out []time.Duration
	for line := range strings.Lines(playlist) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "#EXTINF:"); ok {
			sec, err := strconv.ParseFloat(strings.TrimSuffix(v, ","), 64)
			if err != nil {
				t.Fatalf("EXTINF %q: %v", v, err)
			}
			out = append(out, time.Duration(sec*float64(time.Second)))
		}
	}
	return out
}
