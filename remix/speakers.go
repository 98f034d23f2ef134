package remix

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"mediapush/raw"
)

// The active speaker rule of layouts/room.js's SpeakerMeter, on the room clock.
const (
	speakerWindowMs  = 200  // the meter measures every 200 ms
	speakerThreshold = 0.01 // RMS of full scale, about -40 dBFS: below it nobody is speaking
	speakerHoldMs    = 1000 // a new speaker is taken only a second after the last change
	// levelRate is the sample rate the audio is decoded at to be measured: a voice's level
	// needs no more.
	levelRate = 8000
)

// SpeakerChange is a change of the active speaker: from AtMs on the room clock, StreamID
// ("" when the speaker left and nobody has spoken since).
type SpeakerChange struct {
	AtMs     int64
	StreamID string
}

// Speakers finds the active speaker over the recording by the rule of the layout pages'
// SpeakerMeter: every 200 ms the loudest participant above -40 dBFS, taken only once the
// last change is a second old. Silence is no change: the speaker stays until it leaves.
// Each publication's audio is decoded once, by one ffmpeg run.
func Speakers(ctx context.Context, m raw.Manifest, sourceDir string) ([]SpeakerChange, error) {
	if m.EndedMs == nil {
		return nil, errNoEnd
	}
	end := *m.EndedMs
	var series []levelSeries
	for _, p := range m.Publications {
		if p.Audio == "" || p.MediaStartMs == nil {
			continue
		}
		if !filepath.IsLocal(p.File) {
			return nil, fmt.Errorf("remix: publication %s: file %q is not a name inside the source directory", p.StreamID, p.File)
		}
		path, err := filepath.Abs(filepath.Join(sourceDir, p.File))
		if err != nil {
			return nil, err
		}
		if st, err := os.Stat(path); err != nil || !st.Mode().IsRegular() {
			return nil, fmt.Errorf("remix: publication %s: source file %s is missing", p.StreamID, p.File)
		}
		levels, err := windowLevels(ctx, path, *p.MediaStartMs, end)
		if err != nil {
			return nil, fmt.Errorf("remix: the levels of %s: %w", p.File, err)
		}
		left := end
		if p.LeftMs != nil {
			left = *p.LeftMs
		}
		series = append(series, levelSeries{StreamID: p.StreamID, JoinedMs: p.JoinedMs, LeftMs: left, Levels: levels})
	}
	return activeSpeakers(series, end), nil
}

// windowLevels decodes a file's first audio stream, placed on the room clock from
// mediaStartMs by its timestamps, to mono (the mean of the channels, as Web Audio's
// analyser takes it) and returns the RMS of each 200 ms window of the room clock up to endMs.
func windowLevels(ctx context.Context, path string, mediaStartMs, endMs int64) ([]float64, error) {
	const perWindow = levelRate * speakerWindowMs / 1000
	windows := (endMs + speakerWindowMs - 1) / speakerWindowMs
	sums := make([]float64, windows)
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- runFFmpeg(ctx, pw, "-copyts", "-i", "file:"+path, "-map", "0:a:0", "-vn", "-sn", "-dn",
			"-af", "aresample=async=1:min_hard_comp=0.01:first_pts=0",
			"-ac", "1", "-ar", fmt.Sprint(levelRate), "-c:a", "pcm_s16le", "-f", "s16le", "pipe:1")
		pw.Close()
	}()
	r := bufio.NewReaderSize(pr, 64<<10)
	at := mediaStartMs * levelRate / 1000 // the sample's place on the room clock
	var buf [2]byte
	var readErr error
	for {
		if _, err := io.ReadFull(r, buf[:]); err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
				readErr = err
			}
			break
		}
		if w := at / perWindow; w >= 0 && w < windows {
			v := float64(int16(binary.LittleEndian.Uint16(buf[:]))) / 32768
			sums[w] += v * v
		}
		at++
	}
	io.Copy(io.Discard, r) //nolint:errcheck // only lets ffmpeg finish
	if err := <-done; err != nil {
		return nil, err
	}
	if readErr != nil {
		return nil, readErr
	}
	for i, s := range sums {
		sums[i] = math.Sqrt(s / perWindow)
	}
	return sums, nil
}

// levelSeries is one publication's audio level in the room: Levels[k] is the RMS over
// [200k, 200k+200) ms on the room clock; it is metered from JoinedMs until LeftMs.
type levelSeries struct {
	StreamID         string
	JoinedMs, LeftMs int64
	Levels           []float64
}

// activeSpeakers applies SpeakerMeter's rule to the series, in their joining order, up to
// endMs. At each 200 ms tick the loudest participant above the threshold over the window
// just ended becomes the speaker if it is not already and the last change is more than a
// second old; a speaker that leaves is no speaker from then (a change to "", which starts
// the second anew), until someone is heard.
func activeSpeakers(series []levelSeries, endMs int64) []SpeakerChange {
	var changes []SpeakerChange
	active, since, started := "", int64(0), false
	set := func(at int64, id string) {
		active, since, started = id, at, true
		changes = append(changes, SpeakerChange{AtMs: at, StreamID: id})
	}
	left := make([]bool, len(series))
	for t := int64(speakerWindowMs); t <= endMs; t += speakerWindowMs {
		// Leaves up to this tick, in the order they happened.
		for {
			first := -1
			for i, s := range series {
				if !left[i] && s.LeftMs <= t && (first < 0 || s.LeftMs < series[first].LeftMs) {
					first = i
				}
			}
			if first < 0 {
				break
			}
			left[first] = true
			if active == series[first].StreamID && series[first].LeftMs < endMs {
				set(series[first].LeftMs, "")
			}
		}
		best, bestLevel := "", speakerThreshold
		w := t/speakerWindowMs - 1
		for i, s := range series {
			if left[i] || s.JoinedMs >= t || w >= int64(len(s.Levels)) {
				continue
			}
			if s.Levels[w] > bestLevel {
				best, bestLevel = s.StreamID, s.Levels[w]
			}
		}
		if best != "" && best != active && (!started || t-since > speakerHoldMs) {
			set(t, best)
		}
	}
	return changes
}
