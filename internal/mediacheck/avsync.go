package mediacheck

import (
	"bufio"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	pcmRate    = 48000          // Hz of the PCM the audio is decoded to
	winSamples = pcmRate / 1000 // 1 ms RMS windows
	pairWindow = 400 * time.Millisecond
	minPairs   = 3
)

// AVOffsets measures A/V sync in a recording of the av-sync page (layouts/av-sync.html),
// which flashes white and beeps at the same moments. It finds each flash onset in the video
// (the first frame whose mean luma crosses from dark to bright, timed by its pts) and each
// beep onset in the audio (decoded to 48 kHz mono, RMS over 1 ms windows crossing a
// threshold 12 dB under the beeps' level, refined to a fraction of a window), pairs every
// flash with the nearest beep within ±400 ms (each beep serves one flash), and returns
// beep − flash for each pair in order: positive means the sound is late.
// Both are on the timeline a player uses: timestamps from the start of the file.
// It fails if fewer than 3 pairs are found, returning the pairs it did find.
func AVOffsets(ctx context.Context, path string) ([]time.Duration, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg                sync.WaitGroup
		flashes, beeps    []time.Duration
		flashErr, beepErr error
	)
	// Picture and sound are decoded at the same time; the first failure stops both.
	wg.Go(func() {
		if flashes, flashErr = flashOnsets(ctx, path); flashErr != nil {
			cancel()
		}
	})
	wg.Go(func() {
		if beeps, beepErr = beepOnsets(ctx, path); beepErr != nil {
			cancel()
		}
	})
	wg.Wait()
	if err := cmp.Or(flashErr, beepErr); err != nil {
		return nil, err
	}
	offsets := pairOnsets(flashes, beeps, pairWindow)
	if len(offsets) < minPairs {
		return offsets, fmt.Errorf("mediacheck: A/V sync of %s: %d flash/beep pairs within ±%v, want at least %d (%d flashes at %v; %d beeps at %v)",
			path, len(offsets), pairWindow, minPairs, len(flashes), brief(flashes), len(beeps), brief(beeps))
	}
	return offsets, nil
}

// pairOnsets pairs flashes and beeps that are each other's nearest within ±window and
// returns beep − flash for each pair, in the order of the flashes.
func pairOnsets(flashes, beeps []time.Duration, window time.Duration) []time.Duration {
	nearest := func(list []time.Duration, t time.Duration) int {
		best := -1
		for i, v := range list {
			if best < 0 || absDur(v-t) < absDur(list[best]-t) {
				best = i
			}
		}
		return best
	}
	var offsets []time.Duration
	for i, f := range flashes {
		b := nearest(beeps, f)
		if b < 0 || absDur(beeps[b]-f) > window || nearest(flashes, beeps[b]) != i {
			continue
		}
		offsets = append(offsets, beeps[b]-f)
	}
	return offsets
}

// flashOnsets returns the pts of each frame where the picture turns from dark to bright.
// Frames are shrunk (area average) before signalstats measures their mean luma (YAVG); the
// threshold is halfway between the darkest and brightest frames of the file.
func flashOnsets(ctx context.Context, path string) ([]time.Duration, error) {
	out, err := run(ctx, false, FFmpeg, path, slices.Concat([]string{"-nostdin", "-hide_banner", "-v", "error",
		"-i", path, "-map", "0:v:0", "-an", "-sn", "-dn",
		"-vf", "scale=64:36:flags=area,signalstats,metadata=mode=print:key=lavfi.signalstats.YAVG:file=-"},
		nullOutput)...)
	if err != nil {
		return nil, err
	}
	type frame struct {
		pts  time.Duration
		luma float64
	}
	var frames []frame
	var pts time.Duration
	havePTS := false
	for line := range strings.Lines(string(out)) {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "frame:") {
			havePTS = false
			for _, f := range strings.Fields(line) {
				if v, ok := strings.CutPrefix(f, "pts_time:"); ok {
					pts, havePTS = parseSeconds(v)
				}
			}
			continue
		}
		if v, ok := strings.CutPrefix(line, "lavfi.signalstats.YAVG="); ok && havePTS {
			if y, err := strconv.ParseFloat(v, 64); err == nil {
				frames = append(frames, frame{pts, y})
			}
		}
	}
	if len(frames) == 0 {
		return nil, fmt.Errorf("mediacheck: %s: no video frames measured", path)
	}
	lo, hi := frames[0].luma, frames[0].luma
	for _, f := range frames {
		lo, hi = min(lo, f.luma), max(hi, f.luma)
	}
	if hi-lo < 32 { // of 255: no flashes, just a steady picture
		return nil, nil
	}
	threshold := (lo + hi) / 2
	var onsets []time.Duration
	bright := frames[0].luma >= threshold // a file starting bright has no onset there
	for _, f := range frames[1:] {
		switch {
		case !bright && f.luma >= threshold:
			bright = true
			onsets = append(onsets, f.pts)
		case bright && f.luma < threshold:
			bright = false
		}
	}
	return onsets, nil
}

// beepOnsets returns the times where the sound rises from quiet to a beep. The audio is
// decoded to 48 kHz mono s16; aresample places its first sample at the file's time 0 (the
// same origin as the video pts) and fills or trims wherever the packets' timestamps and the
// samples disagree by more than 10 ms, so sample n is heard at n/48000 s as a player would.
func beepOnsets(ctx context.Context, path string) ([]time.Duration, error) {
	cmd := exec.CommandContext(ctx, FFmpeg, "-nostdin", "-hide_banner", "-v", "error",
		"-i", path, "-map", "0:a:0", "-vn", "-sn", "-dn",
		"-af", "aresample=async=1:min_hard_comp=0.01:first_pts=0",
		"-ac", "1", "-ar", fmt.Sprint(pcmRate), "-c:a", "pcm_s16le", "-f", "s16le", "-")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	cmd.WaitDelay = 5 * time.Second
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, toolError(FFmpeg, path, err, nil)
	}
	// Mean square of each 1 ms window, in units of full scale.
	var energy []float64
	r := bufio.NewReaderSize(stdout, 64<<10)
	buf := make([]byte, 2*winSamples)
	var readErr error
	for {
		if _, err := io.ReadFull(r, buf); err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
				readErr = err
			}
			break
		}
		sum := 0.0
		for i := 0; i < winSamples; i++ {
			v := float64(int16(binary.LittleEndian.Uint16(buf[2*i:]))) / 32768
			sum += v * v
		}
		energy = append(energy, sum/winSamples)
	}
	if _, err := io.Copy(io.Discard, r); err != nil && readErr == nil {
		readErr = err
	}
	err = cmd.Wait()
	if err == nil {
		err = readErr
	}
	if err != nil {
		return nil, toolError(FFmpeg, path, err, []byte(stderr.String()))
	}
	return burstOnsets(energy), nil
}

// burstOnsets finds, in per-window mean squares, where the level rises from quiet (at least
// 50 windows below the threshold) to above it. The threshold is 12 dB under the bursts'
// level: the loudest 9-window median, so a click does not count. Each onset is refined to a
// fraction of a window from how much of the crossing window (and of the one before) the
// burst fills.
func burstOnsets(energy []float64) []time.Duration {
	const (
		smooth   = 9
		quietFor = 50
		floor    = 1e-6 // -60 dBFS: anything quieter is silence, not a beep
	)
	level := 0.0
	win := make([]float64, smooth)
	for i := 0; i+smooth <= len(energy); i++ {
		copy(win, energy[i:i+smooth])
		slices.Sort(win)
		level = max(level, win[smooth/2])
	}
	if level < floor {
		return nil
	}
	threshold := level / 16
	var onsets []time.Duration
	quiet := 0 // the start of the file is not quiet: a beep cut at the start has no onset
	for i, e := range energy {
		if e < threshold {
			quiet++
			continue
		}
		if quiet >= quietFor {
			full := level
			if i+2 < len(energy) {
				full = max(energy[i+1], energy[i+2])
			}
			here := min(1, e/full)
			before := 0.0
			if i > 0 {
				before = min(1, energy[i-1]/full)
			}
			at := (float64(i) + 1 - here - before) * winSamples
			onsets = append(onsets, time.Duration(at*float64(time.Second)/pcmRate))
		}
		quiet = 0
	}
	return onsets
}

func absDur(d time.Duration) time.Duration { return max(d, -d) }

// brief lists durations for an error message, in milliseconds, at most 12 of them.
func brief(d []time.Duration) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, v := range d {
		if i == 12 {
			b.WriteString(" …")
			break
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%.0fms", float64(v)/float64(time.Millisecond))
	}
	b.WriteByte(']')
	return b.String()
}
