// Package mediacheck checks media files the way a user would: what ffprobe says of them,
// whether they decode, how loud they are, and how far sound is from picture.
package mediacheck

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strconv"
	"time"
)

// Stream is one stream of a file.
type Stream struct {
	Type       string // video or audio
	Codec      string
	Width      int
	Height     int
	Frames     int64   // counted by decoding
	FPS        float64 // Frames per second of the file's duration
	SampleRate int
	Channels   int
	Start      time.Duration
}

// Info is what a file holds.
type Info struct {
	FormatName string
	Duration   time.Duration
	Size       int64
	Video      *Stream
	Audio      *Stream
}

func run(ctx context.Context, name string, args ...string) ([]byte, error) {
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("%s: %w: %s", name, err, bytes.TrimSpace(stderr.Bytes()))
	}
	return out, nil
}

func seconds(s string) time.Duration {
	f, _ := strconv.ParseFloat(s, 64)
	return time.Duration(f * float64(time.Second))
}

// Probe reads a file's format and streams, counting video frames.
func Probe(ctx context.Context, path string) (Info, error) {
	out, err := run(ctx, "ffprobe", "-v", "error", "-count_frames", "-of", "json",
		"-show_entries", "format=format_name,duration,size:stream=codec_type,codec_name,width,height,nb_read_frames,sample_rate,channels,start_time", path)
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
			CodecType  string `json:"codec_type"`
			CodecName  string `json:"codec_name"`
			Width      int    `json:"width"`
			Height     int    `json:"height"`
			Frames     string `json:"nb_read_frames"`
			SampleRate string `json:"sample_rate"`
			Channels   int    `json:"channels"`
			StartTime  string `json:"start_time"`
		} `json:"streams"`
	}
	if err := json.Unmarshal(out, &p); err != nil {
		return Info{}, fmt.Errorf("ffprobe output: %w", err)
	}
	info := Info{FormatName: p.Format.FormatName, Duration: seconds(p.Format.Duration)}
	info.Size, _ = strconv.ParseInt(p.Format.Size, 10, 64)
	for _, s := range p.Streams {
		st := &Stream{Type: s.CodecType, Codec: s.CodecName, Width: s.Width, Height: s.Height,
			Channels: s.Channels, Start: seconds(s.StartTime)}
		st.Frames, _ = strconv.ParseInt(s.Frames, 10, 64)
		st.SampleRate, _ = strconv.Atoi(s.SampleRate)
		switch {
		case s.CodecType == "video" && info.Video == nil:
			if info.Duration > 0 {
				st.FPS = float64(st.Frames) / info.Duration.Seconds()
			}
			info.Video = st
		case s.CodecType == "audio" && info.Audio == nil:
			info.Audio = st
		}
	}
	return info, nil
}

// Decodes decodes the whole file and fails on any decoding error.
func Decodes(ctx context.Context, path string) error {
	_, err := run(ctx, "ffmpeg", "-nostdin", "-v", "error", "-xerror", "-i", path, "-f", "null", "-")
	return err
}

// Loudness returns the mean and peak volume of the audio, in dB.
func Loudness(ctx context.Context, path string) (mean, peak float64, err error) {
	cmd := exec.CommandContext(ctx, "ffmpeg", "-nostdin", "-hide_banner", "-i", path, "-map", "0:a:0",
		"-af", "volumedetect", "-f", "null", "-")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, 0, fmt.Errorf("ffmpeg volumedetect: %w: %s", err, out)
	}
	get := func(key string) (float64, error) {
		i := bytes.Index(out, []byte(key))
		if i < 0 {
			return 0, fmt.Errorf("no %s in ffmpeg's output", key)
		}
		var v float64
		_, err := fmt.Sscanf(string(out[i+len(key):]), "%f", &v)
		return v, err
	}
	if mean, err = get("mean_volume: "); err != nil {
		return 0, 0, err
	}
	peak, err = get("max_volume: ")
	return mean, peak, err
}
