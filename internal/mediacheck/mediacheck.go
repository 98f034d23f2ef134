// Package mediacheck checks media files the way a user would, with the ffprobe and ffmpeg
// command-line tools: what the file holds, whether it decodes cleanly, how loud it is and,
// for recordings of the av-sync page, how far the sound is from the picture.
package mediacheck

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The tools run; a bare name is looked up in PATH.
var (
	FFprobe = "ffprobe"
	FFmpeg  = "ffmpeg"
)

// Stream is one audio or video stream of a file.
type Stream struct {
	Index      int    // index in the file
	Type       string // "video" or "audio"
	Codec      string // ffprobe's codec_name: h264, vp8, vp9, aac, opus, …
	Width      int    // video only
	Height     int    // video only
	Frames     int64  // frames counted by decoding the whole stream
	FPS        float64
	SampleRate int // audio only
	Channels   int // audio only
	Duration   time.Duration
}

// Info is what ffprobe says of a file. Video and Audio are the first stream of each kind
// (nil if there is none).
type Info struct {
	FormatName string // ffprobe's format_name, e.g. "mov,mp4,m4a,3gp,3g2,mj2" or "matroska,webm"
	Duration   time.Duration
	Size       int64
	Video      *Stream
	Audio      *Stream
}

// Probe reads a file's container and streams with ffprobe, decoding every frame to count
// them (-count_frames). A stream's Duration is its own (from its start), or the container's
// when the stream states none (or the span of its packets when neither is known); a video
// stream's FPS is Frames / Duration.
func Probe(ctx context.Context, path string) (Info, error) {
	out, err := run(ctx, false, FFprobe, path, "-v", "error", "-count_frames", "-of", "json",
		"-show_entries", "format=format_name,duration,size:"+
			"stream=index,codec_type,codec_name,width,height,nb_read_frames,sample_rate,channels,start_time,duration:"+
			"stream_tags=DURATION:stream_disposition=attached_pic",
		"-i", path)
	if err != nil {
		return Info{}, err
	}
	var p struct {
		Format struct {
			FormatName string `json:"format_name"`
			Duration   string `json:"duration"`
			Size       string `json:"size"`
		} `json:"format"`
		Streams []struct {
			Index       int               `json:"index"`
			CodecType   string            `json:"codec_type"`
			CodecName   string            `json:"codec_name"`
			Width       int               `json:"width"`
			Height      int               `json:"height"`
			Frames      string            `json:"nb_read_frames"`
			SampleRate  string            `json:"sample_rate"`
			Channels    int               `json:"channels"`
			StartTime   string            `json:"start_time"`
			Duration    string            `json:"duration"`
			Tags        map[string]string `json:"tags"`
			Disposition map[string]int    `json:"disposition"`
		} `json:"streams"`
	}
	if err := json.Unmarshal(out, &p); err != nil {
		return Info{}, fmt.Errorf("mediacheck: ffprobe %s: reading its JSON: %w", path, err)
	}
	info := Info{FormatName: p.Format.FormatName}
	info.Duration, _ = parseSeconds(p.Format.Duration)
	if info.Size, err = strconv.ParseInt(p.Format.Size, 10, 64); err != nil {
		if st, err := os.Stat(path); err == nil {
			info.Size = st.Size()
		}
	}
	for _, s := range p.Streams {
		if s.Disposition["attached_pic"] != 0 {
			continue // cover art, not a stream a player plays
		}
		st := &Stream{Index: s.Index, Type: s.CodecType, Codec: s.CodecName}
		st.Frames, _ = strconv.ParseInt(s.Frames, 10, 64)
		var ok bool
		if st.Duration, ok = parseSeconds(s.Duration); !ok {
			// Matroska's DURATION tag is where the stream ends, from the file's time 0.
			if end, ok := parseClock(s.Tags["DURATION"]); ok {
				start, _ := parseSeconds(s.StartTime)
				st.Duration = end - max(start, 0)
			} else {
				st.Duration = info.Duration
			}
		}
		switch {
		case s.CodecType == "video" && info.Video == nil:
			st.Width, st.Height = s.Width, s.Height
			info.Video = st
		case s.CodecType == "audio" && info.Audio == nil:
			st.SampleRate, _ = strconv.Atoi(s.SampleRate)
			st.Channels = s.Channels
			info.Audio = st
		default:
			continue
		}
		if st.Duration <= 0 {
			if st.Duration, err = packetSpan(ctx, path, st.Index); err != nil {
				return Info{}, err
			}
		}
		if st.Type == "video" && st.Duration > 0 {
			st.FPS = float64(st.Frames) / st.Duration.Seconds()
		}
	}
	return info, nil
}

// packetSpan is how long a stream lasts according to its packets' timestamps, for files
// that state no duration at all (WebM written live, for one).
func packetSpan(ctx context.Context, path string, index int) (time.Duration, error) {
	out, err := run(ctx, false, FFprobe, path, "-v", "error", "-select_streams", strconv.Itoa(index),
		"-show_entries", "packet=pts_time,duration_time", "-of", "csv=p=0", "-i", path)
	if err != nil {
		return 0, err
	}
	var first, last time.Duration
	seen := false
	for line := range strings.Lines(string(out)) {
		pts, dur, _ := strings.Cut(strings.TrimSpace(line), ",")
		t, ok := parseSeconds(pts)
		if !ok {
			continue
		}
		d, _ := parseSeconds(dur)
		if !seen || t < first {
			first = t
		}
		if !seen || t+d > last {
			last = t + d
		}
		seen = true
	}
	return last - first, nil
}

// Decodes decodes every audio and video stream of the file to the end
// (ffmpeg -v error -xerror … -f null -) and fails if ffmpeg reports any error.
func Decodes(ctx context.Context, path string) error {
	_, err := run(ctx, true, FFmpeg, path, slices.Concat(
		[]string{"-nostdin", "-hide_banner", "-v", "error", "-xerror", "-i", path, "-map", "0:v?", "-map", "0:a?"},
		nullOutput)...)
	return err
}

// nullOutput discards what ffmpeg decodes, frames passed as they are with the input's own
// timestamps: by default ffmpeg would fit variable-rate video (a tab capture sends frames only
// when the page changes) to a frame-rate time base and then fail its own timestamp check
// ("non monotonically increasing dts to muxer"), which says nothing about the file.
var nullOutput = []string{"-fps_mode", "passthrough", "-enc_time_base", "-1", "-f", "null", "-"}

// Loudness returns the mean and maximum volume of the first audio stream, in dBFS, as the
// volumedetect filter measures them (digital silence reads about -91 dB).
func Loudness(ctx context.Context, path string) (meanDB, maxDB float64, err error) {
	cmd := exec.CommandContext(ctx, FFmpeg, "-nostdin", "-hide_banner", "-nostats", "-v", "info",
		"-i", path, "-map", "0:a:0", "-vn", "-sn", "-dn", "-af", "volumedetect", "-f", "null", "-")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		return 0, 0, toolError(FFmpeg, path, err, errorLines(stderr.Bytes()))
	}
	meanDB, ok1 := volumeStat(stderr.String(), "mean_volume")
	maxDB, ok2 := volumeStat(stderr.String(), "max_volume")
	if !ok1 || !ok2 {
		return 0, 0, fmt.Errorf("mediacheck: ffmpeg volumedetect %s: no volume measured (no audio samples?): %s",
			path, tail(stderr.Bytes()))
	}
	return meanDB, maxDB, nil
}

// MedianAbs is the median of the absolute values of d (0 for none).
func MedianAbs(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	a := make([]time.Duration, len(d))
	for i, v := range d {
		a[i] = max(v, -v)
	}
	slices.Sort(a)
	n := len(a)
	if n%2 == 1 {
		return a[n/2]
	}
	return (a[n/2-1] + a[n/2]) / 2
}

// run runs a tool and returns its standard output. It fails, with the tool's error output,
// if the tool fails; with strict, also if it prints anything on standard error (it is always
// run at -v error, so whatever it prints is an error). Measurements are not strict: a glitch
// ffmpeg complains about and gets past does not stop them (Decodes is the check for that).
func run(ctx context.Context, strict bool, tool, path string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, tool, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	if err == nil && strict && len(bytes.TrimSpace(stderr.Bytes())) > 0 {
		err = errors.New("reported errors")
	}
	if err != nil {
		return nil, toolError(tool, path, err, stderr.Bytes())
	}
	return stdout.Bytes(), nil
}

func toolError(tool, path string, err error, stderr []byte) error {
	if msg := tail(stderr); msg != "" {
		return fmt.Errorf("mediacheck: %s %s: %w: %s", tool, path, err, msg)
	}
	return fmt.Errorf("mediacheck: %s %s: %w", tool, path, err)
}

// errorLines keeps the lines of an info-level ffmpeg log that tell what went wrong: the
// last few, which is where ffmpeg says why it stopped.
func errorLines(stderr []byte) []byte {
	lines := strings.Split(strings.TrimSpace(string(stderr)), "\n")
	if len(lines) > 4 {
		lines = lines[len(lines)-4:]
	}
	return []byte(strings.Join(lines, "\n"))
}

// tail is a tool's error output, trimmed to a readable length (its end, where the cause is).
func tail(stderr []byte) string {
	const limit = 2000
	s := strings.TrimSpace(string(stderr))
	if len(s) > limit {
		s = "…" + s[len(s)-limit:]
	}
	return strings.ReplaceAll(s, "\n", "; ")
}

// parseSeconds reads a decimal number of seconds ("12.345"); "N/A" and "" are not durations.
func parseSeconds(s string) (time.Duration, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return time.Duration(f * float64(time.Second)), true
}

// parseClock reads Matroska's DURATION tag, "HH:MM:SS.fffffffff".
func parseClock(s string) (time.Duration, bool) {
	parts := strings.Split(strings.TrimSpace(s), ":")
	if len(parts) != 3 {
		return 0, false
	}
	h, err1 := strconv.Atoi(parts[0])
	m, err2 := strconv.Atoi(parts[1])
	sec, ok := parseSeconds(parts[2])
	if err1 != nil || err2 != nil || !ok {
		return 0, false
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + sec, true
}
