package remix

import (
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"mediapush/raw"
)

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// ffmpegFixture makes a media file in dir with ffmpeg's args (inputs and codecs).
func ffmpegFixture(t testing.TB, dir, name string, args ...string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	cmd := exec.Command("ffmpeg", append(append([]string{"-nostdin", "-hide_banner", "-v", "error", "-y"}, args...), path)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("making %s: %v: %s", name, err, out)
	}
	return path
}

// cameraFile is a Matroska file of a plain coloured picture with a tone, as a camera's
// raw file would be: codec "h264" or "vp8" and Opus.
func cameraFile(t testing.TB, dir, name, colour string, w, h int, freq int, secs float64, codec string) {
	t.Helper()
	vcodec := []string{"-c:v", "libx264", "-preset", "ultrafast", "-g", "50", "-pix_fmt", "yuv420p"}
	if codec == "vp8" {
		vcodec = []string{"-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "300k", "-g", "50"}
	}
	args := []string{"-f", "lavfi", "-i", colorSource(colour, w, h, secs),
		"-f", "lavfi", "-i", "sine=f=" + itoa(freq) + ":r=48000:d=" + ftoa(secs)}
	args = append(args, vcodec...)
	args = append(args, "-c:a", "libopus", "-b:a", "64k", "-f", "matroska")
	ffmpegFixture(t, dir, name, args...)
}

func colorSource(colour string, w, h int, secs float64) string {
	return "color=c=" + colour + ":s=" + itoa(w) + "x" + itoa(h) + ":r=25:d=" + ftoa(secs)
}

// audioOnlyFile is an Ogg Opus file of a tone.
func audioOnlyFile(t testing.TB, dir, name string, freq int, secs float64) {
	t.Helper()
	ffmpegFixture(t, dir, name, "-f", "lavfi", "-i", "sine=f="+itoa(freq)+":r=48000:d="+ftoa(secs),
		"-c:a", "libopus", "-b:a", "48k", "-f", "ogg")
}

// Colours of the page's screenshots.
var (
	pageBackground = color.RGBA{32, 32, 32, 255}
	keyRGBA        = color.RGBA{255, 0, 255, 255}
	labelColour    = color.RGBA{255, 255, 255, 255}
)

// rect is an area of a screenshot in pixels.
type rect struct{ x, y, w, h int }

// pagePNG writes a screenshot of w×h: the page's background, the key colour where the
// boxes' clips are and white labels over them.
func pagePNG(t testing.TB, path string, w, h int, boxes []Box, labels []rect) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	fill := func(r image.Rectangle, c color.RGBA) {
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				img.SetRGBA(x, y, c)
			}
		}
	}
	fill(img.Bounds(), pageBackground)
	for _, b := range boxes {
		// A one-pixel anti-aliased edge, half key colour and half page, as a browser draws
		// a tile's rounded corners or a fractional edge.
		half := func(a, b uint8) uint8 { return uint8((int(a) + int(b)) / 2) }
		edge := color.RGBA{half(keyRGBA.R, pageBackground.R), half(keyRGBA.G, pageBackground.G), half(keyRGBA.B, pageBackground.B), 255}
		fill(image.Rect(int(b.ClipX)-1, int(b.ClipY)-1, int(b.ClipX+b.ClipW)+1, int(b.ClipY+b.ClipH)+1).Intersect(img.Bounds()), edge)
		fill(image.Rect(int(b.ClipX), int(b.ClipY), int(b.ClipX+b.ClipW), int(b.ClipY+b.ClipH)).Intersect(img.Bounds()), keyRGBA)
	}
	for _, l := range labels {
		fill(image.Rect(l.x, l.y, l.x+l.w, l.y+l.h), labelColour)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}

// box is a box whose picture shows whole.
func box(id string, x, y, w, h float64) Box {
	return Box{StreamID: id, X: x, Y: y, W: w, H: h, ClipX: x, ClipY: y, ClipW: w, ClipH: h}
}

func ms(v int64) *int64 { return &v }

func participant(p raw.Publication) Participant {
	return Participant{StreamID: p.StreamID, Name: p.Name, Video: p.Video, Audio: p.Audio,
		ScreenShare: p.Kind == raw.Screen, Width: p.Width, Height: p.Height}
}

func itoa(v int) string     { return strconv.Itoa(v) }
func ftoa(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
