package quality

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"mediapush/internal/ffmpeg"
)

// What the decoding pass looks at. The picture is judged at a few frames a second and
// thumbnail size: black and frozen need no more, and it keeps the filters' cost far below
// decoding's. Spans shorter than MinSpan are not reported.
const (
	sampleFPS   = 5
	sampleWidth = 160
	// MinSpan is the shortest black, frozen or silent stretch a report lists.
	MinSpan = 2 * time.Second
	// blackPixel is the luma (0–1) under which a pixel counts as black, and blackShare the
	// share of black pixels that makes a black picture: a black page with a small caption is
	// still black.
	blackPixel = 0.10
	blackShare = 0.98
	// freezeNoise is the difference between two pictures under which they count as the same
	// (freezedetect's default, -60 dB).
	freezeNoise = 0.001
	// silenceLevel is the level under which sound counts as silence: a tab's captured
	// silence is digital zero; a quiet room still measures well above this.
	silenceLevel = "-60dB"
)

// Measure measures the file at path (MP4, WebM, MP3 or an HLS playlist with its segments
// beside it) and fills in r's measured figures; the requested ones, the wall time and a
// session's A/V offset are r's already. It costs one ffprobe, which reads packets without
// decoding, and one ffmpeg pass decoding the first video and audio stream on one thread at low
// priority. The problems are not judged here (Judge).
func Measure(ctx context.Context, path string, r Report) (Report, error) {
	p, err := probe(ctx, path)
	if err != nil {
		return r, err
	}
	r.DurationMs = millis(seconds(p.duration))
	r.HasVideo, r.HasAudio = p.video != nil, p.audio != nil
	if v := p.video; v != nil {
		r.Width, r.Height = v.Width, v.Height
		if dur := p.streamDuration(v); dur > 0 && v.packets > 0 {
			r.FPS = math.Round(float64(v.packets)/dur*10) / 10
		}
	}
	if r.AVOffsetMs == nil && p.video != nil && p.audio != nil {
		if vs, ok1 := parseFloat(p.video.StartTime); ok1 {
			if as, ok2 := parseFloat(p.audio.StartTime); ok2 {
				ms := millis(seconds(vs - as))
				r.AVOffsetMs, r.AVOffsetFrom = &ms, "file"
			}
		}
	}
	d, err := detect(ctx, path, p)
	if err != nil {
		return r, err
	}
	r.BlackSpans = shift(d.black, p.start, p.duration)
	// A black picture is still too; it is reported once, as black. What is left of a freeze
	// must be long enough on its own.
	r.FrozenSpans = atLeast(shift(subtract(d.frozen, d.black), p.start, p.duration), MinSpan)
	r.SilentSpans = shift(d.silent, p.start, p.duration)
	if p.audio == nil && p.duration > 0 {
		r.SilentSpans = []Span{{Start: 0, End: round3(p.duration)}} // nothing to hear at all
	}
	if r.Problems == nil {
		r.Problems = []string{}
	}
	return r, nil
}

// probed is what ffprobe says of a file: its start and duration in seconds, and its first
// video and audio stream.
type probed struct {
	start, duration float64
	video, audio    *stream
}

type stream struct {
	Index     int    `json:"index"`
	CodecType string `json:"codec_type"`
	Width     int    `json:"width"`
	Height    int    `json:"height"`
	StartTime string `json:"start_time"`
	Duration  string `json:"duration"`
	Packets   string `json:"nb_read_packets"`
	packets   int64
}

// streamDuration is a stream's own duration, or the file's.
func (p probed) streamDuration(s *stream) float64 {
	if d, ok := parseFloat(s.Duration); ok && d > 0 {
		return d
	}
	return p.duration
}

// streamEnd is where a stream stating its own start and duration ends, in the file's time.
func (p probed) streamEnd(s *stream) (float64, bool) {
	start, ok1 := parseFloat(s.StartTime)
	d, ok2 := parseFloat(s.Duration)
	return start + d, ok1 && ok2 && d > 0
}

func probe(ctx context.Context, path string) (probed, error) {
	out, err := run(ctx, ffmpeg.FFprobe, "-v", "error", "-count_packets", "-of", "json",
		"-show_entries", "format=start_time,duration:stream=index,codec_type,width,height,start_time,duration,nb_read_packets",
		"-i", path)
	if err != nil {
		return probed{}, err
	}
	var j struct {
		Format struct {
			StartTime string `json:"start_time"`
			Duration  string `json:"duration"`
		} `json:"format"`
		Streams []stream `json:"streams"`
	}
	if err := json.Unmarshal(out, &j); err != nil {
		return probed{}, fmt.Errorf("ffprobe: reading its answer: %w", err)
	}
	var p probed
	p.start, _ = parseFloat(j.Format.StartTime)
	p.duration, _ = parseFloat(j.Format.Duration)
	for i := range j.Streams {
		s := &j.Streams[i]
		s.packets, _ = strconv.ParseInt(s.Packets, 10, 64)
		switch {
		case s.CodecType == "video" && p.video == nil:
			p.video = s
		case s.CodecType == "audio" && p.audio == nil:
			p.audio = s
		}
	}
	if p.video == nil && p.audio == nil {
		return probed{}, errors.New("the file holds neither video nor audio")
	}
	return p, nil
}

// detect runs the decoding pass: blackdetect and freezedetect on the picture thinned to
// sampleFPS and sampleWidth, silencedetect on the sound, everything discarded (-f null).
func detect(ctx context.Context, path string, p probed) (detected, error) {
	var graph []string
	args := []string{"-nostdin", "-hide_banner", "-nostats", "-v", "info", "-threads", "1", "-i", path}
	if p.video != nil {
		graph = append(graph, fmt.Sprintf("[0:v:0]fps=%d,scale=%d:-2,blackdetect=d=%s:pix_th=%.2f:pic_th=%.2f,freezedetect=n=%g:d=%s[v]",
			sampleFPS, sampleWidth, secondsArg(MinSpan), blackPixel, blackShare, freezeNoise, secondsArg(MinSpan)))
	}
	if p.audio != nil {
		graph = append(graph, fmt.Sprintf("[0:a:0]silencedetect=n=%s:d=%s[a]", silenceLevel, secondsArg(MinSpan)))
	}
	args = append(args, "-filter_complex_threads", "1", "-filter_complex", strings.Join(graph, ";"))
	if p.video != nil {
		args = append(args, "-map", "[v]")
	}
	if p.audio != nil {
		args = append(args, "-map", "[a]")
	}
	args = append(args, "-f", "null", "-")
	cmd := ffmpeg.Command(ctx, ffmpeg.FFmpeg, args...)
	var log bytes.Buffer
	cmd.Stderr = &log
	if err := ffmpeg.RunLowered(ctx, cmd); err != nil {
		return detected{}, fmt.Errorf("ffmpeg: %w: %s", err, ffmpeg.LogTail(log.String()))
	}
	// A span open at the end lasts to the end of its stream: for the picture, its last frame's.
	d := parseDetect(log.String(), p.start+p.duration)
	if p.video != nil && len(d.frozen) > 0 {
		if end, ok := p.streamEnd(p.video); ok && d.frozen[len(d.frozen)-1].End > end {
			d.frozen[len(d.frozen)-1].End = max(end, d.frozen[len(d.frozen)-1].Start)
		}
	}
	return d, nil
}

func secondsArg(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) }

// run runs a tool at low priority and returns its standard output.
func run(ctx context.Context, tool string, args ...string) ([]byte, error) {
	cmd := ffmpeg.Command(ctx, tool, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := ffmpeg.RunLowered(ctx, cmd); err != nil {
		return nil, fmt.Errorf("%s: %w: %s", tool, err, ffmpeg.LogTail(stderr.String()))
	}
	return stdout.Bytes(), nil
}

func parseFloat(s string) (float64, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}
