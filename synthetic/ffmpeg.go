package synthetic

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	ffmpegcmd "mediapush/internal/ffmpeg"
)

// FFmpeg is the tool that makes the media; a bare name is looked up in PATH.
var FFmpeg = ffmpegcmd.FFmpeg

// loopLength is how long the generated files last; they are played again and again, so a
// short file is enough. Ten seconds keep the seam rare and the files quick to make.
const loopLength = 10 * time.Second

// makeVideo encodes a solid picture as an Annex-B H264 stream that any WebRTC receiver
// decodes: Constrained Baseline (no B-frames), level 3.1 as the SDP announces, an IDR with
// SPS/PPS every second so a receiver that joins or loses packets recovers within a second.
func makeVideo(ctx context.Context, dir string, opt Options) (string, error) {
	path := filepath.Join(dir, "video.h264")
	fps := strconv.Itoa(opt.FPS)
	src := fmt.Sprintf("color=c=%s:s=%dx%d:r=%d:d=%g", opt.Color, opt.Width, opt.Height, opt.FPS, loopLength.Seconds())
	err := ffmpeg(ctx, "-f", "lavfi", "-i", src,
		"-c:v", "libx264", "-profile:v", "baseline", "-level:v", "3.1", "-preset", "veryfast",
		"-tune", "zerolatency", "-pix_fmt", "yuv420p", "-g", fps, "-keyint_min", fps,
		"-bsf:v", "h264_mp4toannexb", "-f", "h264", path)
	if err != nil {
		return "", fmt.Errorf("synthetic: making the %s picture: %w", opt.Color, err)
	}
	return path, nil
}

// makeAudio encodes a sine tone as Opus in Ogg, 48 kHz stereo in 20 ms frames, one frame per
// Ogg page: the sender passes each page's payload on as one RTP packet, so a page must not
// hold more than one Opus packet. The sine source peaks at -18 dBFS; +6 dB brings it to
// -12 dBFS, loud enough to measure and far from clipping. pan copies the mono tone to both
// channels: ffmpeg's own upmix would lower it by 3 dB. ToneGain lowers it from there.
func makeAudio(ctx context.Context, dir string, opt Options) (string, error) {
	path := filepath.Join(dir, "audio.ogg")
	src := fmt.Sprintf("sine=frequency=%g:sample_rate=48000:duration=%g", opt.Tone, loopLength.Seconds())
	err := ffmpeg(ctx, "-f", "lavfi", "-i", src,
		"-af", fmt.Sprintf("volume=%gdB,pan=stereo|c0=c0|c1=c0", 6+opt.ToneGain),
		"-c:a", "libopus", "-b:a", "64k", "-frame_duration", "20", "-page_duration", "20000",
		"-f", "ogg", path)
	if err != nil {
		return "", fmt.Errorf("synthetic: making the %g Hz tone: %w", opt.Tone, err)
	}
	return path, nil
}

// ffmpeg runs ffmpeg quietly, overwriting its output; a failure carries the end of what
// ffmpeg printed, which is where it says why.
func ffmpeg(ctx context.Context, args ...string) error {
	cmd := ffmpegcmd.Command(ctx, FFmpeg, append([]string{"-nostdin", "-hide_banner", "-v", "error", "-y"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		if msg := lastLines(stderr.String(), 5); msg != "" {
			return fmt.Errorf("%s: %w: %s", FFmpeg, err, msg)
		}
		return fmt.Errorf("%s: %w", FFmpeg, err)
	}
	return nil
}

// lastLines is the last n non-empty lines of s, joined on one line.
func lastLines(s string, n int) string {
	var lines []string
	for l := range strings.Lines(s) {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "; ")
}
