package mediacheck

// Checks for recordings of conference rooms, whose participants are told apart by the colour
// of their picture and the pitch of their tone: who is heard, and who is seen where.

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// toneQ is the quality factor of the band-pass filters of ToneLevel: at Q 30 the band is
// f/30 wide (17 Hz at 500 Hz), and two filters in a row take another tone a few hundred
// hertz away down by more than 60 dB, while their response settles within tens of ms.
const toneQ = 30

// ToneLevel is the mean level in dBFS of the audio of path within a narrow band around freq
// Hz: the RMS of all channels after two band-pass filters, as volumedetect measures it
// (a full-scale sine reads -3 dB; digital silence about -91 dB). from and to bound the time
// window, from the start of the file; to == 0 means to the end.
func ToneLevel(ctx context.Context, path string, freq float64, from, to time.Duration) (float64, error) {
	if freq <= 0 || math.IsNaN(freq) || math.IsInf(freq, 0) {
		return 0, fmt.Errorf("mediacheck: tone level of %s: bad frequency %g Hz", path, freq)
	}
	if from < 0 || (to != 0 && to <= from) {
		return 0, fmt.Errorf("mediacheck: tone level of %s: bad window %v to %v", path, from, to)
	}
	args := []string{"-nostdin", "-hide_banner", "-nostats", "-v", "info", "-ss", seconds(from)}
	if to != 0 {
		args = append(args, "-t", seconds(to-from))
	}
	band := fmt.Sprintf("bandpass=f=%g:width_type=q:w=%d", freq, toneQ)
	args = append(args, "-i", path, "-map", "0:a:0", "-vn", "-sn", "-dn",
		"-af", band+","+band+",volumedetect", "-f", "null", "-")
	cmd := exec.CommandContext(ctx, FFmpeg, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		return 0, toolError(FFmpeg, path, err, errorLines(stderr.Bytes()))
	}
	level, ok := volumeStat(stderr.String(), "mean_volume")
	if !ok {
		return 0, fmt.Errorf("mediacheck: ffmpeg volumedetect %s: no volume measured between %v and %v (no audio there?): %s",
			path, from, to, tail(errorLines(stderr.Bytes())))
	}
	return level, nil
}

// volumeStat reads one of volumedetect's results ("mean_volume: -27.0 dB") from ffmpeg's log.
func volumeStat(log, key string) (float64, bool) {
	for line := range strings.Lines(log) {
		_, rest, ok := strings.Cut(line, key+":")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			return 0, false
		}
		v, err := strconv.ParseFloat(f[0], 64)
		return v, err == nil
	}
	return 0, false
}

// seconds formats a duration for ffmpeg's -ss and -t.
func seconds(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 6, 64) }

// RGB is a pixel colour.
type RGB struct{ R, G, B uint8 }

// Point is a position as a fraction of the frame size (0..1), from the top left corner.
type Point struct{ X, Y float64 }

// sampleSide is the side of the square of pixels FrameColors averages around each point: wide
// enough to smooth out compression noise and chroma subsampling, small enough to stay inside a
// tile of a grid layout.
const sampleSide = 9

// FrameColors decodes the first video frame of path at or after time at (from the start of
// the file) and returns its colour at each point, averaged over a 9×9 pixel square around it.
// ffmpeg seeks, decodes one frame and writes it as a PPM image, whose header gives its size.
func FrameColors(ctx context.Context, path string, at time.Duration, points []Point) ([]RGB, error) {
	for _, p := range points {
		if !(p.X >= 0 && p.X <= 1 && p.Y >= 0 && p.Y <= 1) {
			return nil, fmt.Errorf("mediacheck: frame colours of %s: point %v is outside the frame (0..1)", path, p)
		}
	}
	out, err := run(ctx, false, FFmpeg, path, "-nostdin", "-hide_banner", "-v", "error",
		"-ss", seconds(at), "-i", path, "-map", "0:v:0", "-an", "-sn", "-dn",
		"-frames:v", "1", "-pix_fmt", "rgb24", "-c:v", "ppm", "-f", "image2pipe", "-")
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("mediacheck: %s: no video frame at %v", path, at)
	}
	img, err := readPPM(out)
	if err != nil {
		return nil, fmt.Errorf("mediacheck: frame of %s at %v: %w", path, at, err)
	}
	colors := make([]RGB, len(points))
	for i, p := range points {
		colors[i] = img.average(p)
	}
	return colors, nil
}

// image is a decoded rgb24 frame.
type image struct {
	w, h int
	pix  []byte // rows of w RGB triplets
}

// readPPM reads a binary PPM (P6) image with 8-bit samples, as ffmpeg's ppm encoder writes it.
func readPPM(data []byte) (image, error) {
	r := bufio.NewReader(bytes.NewReader(data))
	var magic string
	var w, h, maxVal int
	// Fscan skips the whitespace between the header's fields; exactly one whitespace
	// byte separates the header from the pixels.
	if _, err := fmt.Fscan(r, &magic, &w, &h, &maxVal); err != nil || magic != "P6" || maxVal != 255 || w <= 0 || h <= 0 {
		return image{}, fmt.Errorf("not an 8-bit PPM image (header %q %d %d %d): %v", magic, w, h, maxVal, err)
	}
	if _, err := r.ReadByte(); err != nil {
		return image{}, err
	}
	pix := make([]byte, 3*w*h)
	if _, err := io.ReadFull(r, pix); err != nil {
		return image{}, fmt.Errorf("%dx%d image: %w", w, h, err)
	}
	return image{w: w, h: h, pix: pix}, nil
}

// average is the mean colour of the sampleSide square centred on p, clipped to the frame.
func (img image) average(p Point) RGB {
	cx := min(int(p.X*float64(img.w)), img.w-1)
	cy := min(int(p.Y*float64(img.h)), img.h-1)
	var sum [3]int
	n := 0
	for y := max(cy-sampleSide/2, 0); y <= min(cy+sampleSide/2, img.h-1); y++ {
		for x := max(cx-sampleSide/2, 0); x <= min(cx+sampleSide/2, img.w-1); x++ {
			o := 3 * (y*img.w + x)
			sum[0] += int(img.pix[o])
			sum[1] += int(img.pix[o+1])
			sum[2] += int(img.pix[o+2])
			n++
		}
	}
	return RGB{uint8((sum[0] + n/2) / n), uint8((sum[1] + n/2) / n), uint8((sum[2] + n/2) / n)}
}

// Near reports whether c is within tol of want in each channel.
func (c RGB) Near(want RGB, tol uint8) bool {
	d := func(a, b uint8) uint8 { return max(a, b) - min(a, b) }
	return d(c.R, want.R) <= tol && d(c.G, want.G) <= tol && d(c.B, want.B) <= tol
}

// String is the colour as hex and its name, for messages: "#fe0000 (red)".
func (c RGB) String() string { return fmt.Sprintf("#%02x%02x%02x (%s)", c.R, c.G, c.B, ColorName(c)) }

// ColorName classifies a colour as "red", "green", "blue", "yellow", "magenta", "cyan",
// "white", "black", "grey" or "other", so that a grid of tiles can be compared by name and a
// failure reads plainly. Each channel is judged against the brightest: on at 80 % of it or
// more, off at 35 % or less. Dim colours count by their hue (ffmpeg's "green" is 0x008000);
// anything with a channel in between (orange, pink, brown) is "other".
func ColorName(c RGB) string {
	const blackMax = 48
	hi := max(c.R, c.G, c.B)
	if hi <= blackMax {
		return "black"
	}
	level := func(v uint8) int {
		switch {
		case float64(v) >= 0.8*float64(hi):
			return 1
		case float64(v) <= 0.35*float64(hi):
			return 0
		}
		return -1
	}
	r, g, b := level(c.R), level(c.G), level(c.B)
	if r < 0 || g < 0 || b < 0 {
		return "other"
	}
	switch [3]int{r, g, b} {
	case [3]int{1, 1, 1}:
		if hi >= 200 {
			return "white"
		}
		return "grey"
	case [3]int{1, 0, 0}:
		return "red"
	case [3]int{0, 1, 0}:
		return "green"
	case [3]int{0, 0, 1}:
		return "blue"
	case [3]int{1, 1, 0}:
		return "yellow"
	case [3]int{1, 0, 1}:
		return "magenta"
	case [3]int{0, 1, 1}:
		return "cyan"
	}
	return "other"
}
