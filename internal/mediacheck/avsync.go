package mediacheck

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// AVOffsets measures, in a recording of a page that flashes white and beeps at the same
// moments, how late each beep is after its flash (negative: the sound comes first).
func AVOffsets(ctx context.Context, path string) ([]time.Duration, error) {
	flashes, err := flashOnsets(ctx, path)
	if err != nil {
		return nil, err
	}
	beeps, err := beepOnsets(ctx, path)
	if err != nil {
		return nil, err
	}
	var offsets []time.Duration
	for _, f := range flashes {
		best := time.Duration(math.MaxInt64)
		for _, b := range beeps {
			if d := b - f; abs(d) < abs(best) {
				best = d
			}
		}
		if abs(best) <= 400*time.Millisecond {
			offsets = append(offsets, best)
		}
	}
	if len(offsets) < 3 {
		return offsets, fmt.Errorf("only %d flash/beep pairs found (%d flashes, %d beeps)", len(offsets), len(flashes), len(beeps))
	}
	return offsets, nil
}

// flashOnsets returns the times of the frames where the picture turns from dark to bright.
func flashOnsets(ctx context.Context, path string) ([]time.Duration, error) {
	src := "movie=" + strings.NewReplacer(`\`, `\\`, `:`, `\:`, `'`, `\'`, `,`, `\,`).Replace(path) + ",signalstats"
	out, err := run(ctx, "ffprobe", "-v", "error", "-f", "lavfi", "-i", src,
		"-show_entries", "frame=pts_time:frame_tags=lavfi.signalstats.YAVG", "-of", "csv=p=0")
	if err != nil {
		return nil, err
	}
	var onsets []time.Duration
	bright := false
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Split(strings.TrimSpace(sc.Text()), ",")
		if len(f) < 2 {
			continue
		}
		y, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			continue
		}
		switch {
		case !bright && y > 128:
			bright = true
			onsets = append(onsets, seconds(f[0]))
		case bright && y < 64:
			bright = false
		}
	}
	return onsets, nil
}

// beepOnsets returns the times where the sound rises from silence, in 1 ms windows.
func beepOnsets(ctx context.Context, path string) ([]time.Duration, error) {
	info, err := Probe(ctx, path)
	if err != nil {
		return nil, err
	}
	if info.Audio == nil {
		return nil, errors.New("no audio stream")
	}
	const rate = 48000
	pcm, err := run(ctx, "ffmpeg", "-nostdin", "-v", "error", "-i", path, "-map", "0:a:0", "-ac", "1", "-ar", strconv.Itoa(rate), "-f", "s16le", "-")
	if err != nil {
		return nil, err
	}
	n := len(pcm) / 2
	const win = rate / 1000
	rms := make([]float64, 0, n/win)
	peak := 0.0
	for i := 0; i+win <= n; i += win {
		sum := 0.0
		for j := i; j < i+win; j++ {
			v := float64(int16(binary.LittleEndian.Uint16(pcm[2*j:])))
			sum += v * v
		}
		r := math.Sqrt(sum / win)
		rms = append(rms, r)
		peak = max(peak, r)
	}
	threshold := peak / 4
	var onsets []time.Duration
	quiet := 300
	for i, r := range rms {
		if r > threshold {
			if quiet >= 300 { // a beep after at least 300 ms of quiet
				onsets = append(onsets, info.Audio.Start+time.Duration(i)*time.Millisecond)
			}
			quiet = 0
		} else {
			quiet++
		}
	}
	return onsets, nil
}

func abs(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// MedianAbs is the median of the absolute values.
func MedianAbs(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	a := make([]time.Duration, len(d))
	for i, v := range d {
		a[i] = abs(v)
	}
	slices.Sort(a)
	return a[len(a)/2]
}
