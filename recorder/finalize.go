package recorder

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/at-wat/ebml-go"

	"mediapush/internal/ffmpeg"
	"mediapush/media"
)

// ErrNoMedia says a recording holds no time at all (stopped on its first frame): there is no
// file to make of it.
var ErrNoMedia = errors.New("ffmpeg produced a file without media")

// Info describes a finalized recording.
type Info struct {
	Duration time.Duration // as ffprobe reports it
	Size     int64         // bytes
}

// Finalize turns the Matroska file src (written by a Writer, possibly
// repaired) into dst of format f with ffmpeg:
//
//   - mp4: video copied (H264 only), Opus transcoded to AAC 160 kb/s,
//     moov atom in front (+faststart);
//   - webm: everything copied (VP8/VP9, Opus); ffmpeg writes Cues and
//     Duration;
//   - mp3: the audio alone, 192 kb/s.
//
// ffmpeg writes a temporary file next to dst that is renamed to dst on
// success and removed on failure. src is left as it is.
func Finalize(ctx context.Context, src, dst string, f Format) (Info, error) {
	video, audio, err := sourceCodecs(src)
	if err != nil {
		return Info{}, err
	}
	if err := f.checkTracks(video, audio); err != nil {
		return Info{}, err
	}
	if sameFile(src, dst) {
		return Info{}, fmt.Errorf("recorder: finalize: source and destination are the same file %s", dst)
	}

	tmpf, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".*.tmp")
	if err != nil {
		return Info{}, fmt.Errorf("recorder: finalize: %w", err)
	}
	tmp := tmpf.Name()
	tmpf.Close()
	ok := false
	defer func() {
		if !ok {
			os.Remove(tmp)
		}
	}()

	args := []string{"-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", src}
	if f != MP3 {
		args = append(args, "-map", "0:v:0")
	}
	if audio != "" {
		args = append(args, "-map", "0:a:0")
	}
	switch f {
	case MP3:
		args = append(args, "-c:a", "libmp3lame", "-b:a", "192k", "-f", "mp3")
	case MP4:
		args = append(args, "-c:v", "copy", "-c:a", "aac", "-b:a", "160k",
			"-movflags", "+faststart", "-f", "mp4")
	case WebM:
		args = append(args, "-c", "copy", "-f", "webm")
	}
	args = append(args, tmp)
	if _, err := runTool(ctx, ffmpeg.FFmpeg, args...); err != nil {
		return Info{}, fmt.Errorf("recorder: finalize %s: %w", src, err)
	}

	dur, err := Duration(ctx, tmp)
	if err != nil {
		return Info{}, fmt.Errorf("recorder: finalize %s: %w", src, err)
	}
	if dur <= 0 {
		return Info{}, fmt.Errorf("recorder: finalize %s: %w", src, ErrNoMedia)
	}
	fi, err := os.Stat(tmp)
	if err != nil {
		return Info{}, fmt.Errorf("recorder: finalize: %w", err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return Info{}, fmt.Errorf("recorder: finalize: %w", err)
	}
	ok = true
	return Info{Duration: dur, Size: fi.Size()}, nil
}

// sourceCodecs reads the track header of a Matroska file and returns the
// codec of its first video track and of its first audio track ("" if none).
func sourceCodecs(path string) (video, audio media.Codec, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", "", fmt.Errorf("recorder: finalize: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() == 0 {
		return "", "", fmt.Errorf("recorder: finalize: %s is empty (the recording ended before its first video keyframe)", path)
	}
	var h struct {
		Segment struct {
			Tracks struct {
				TrackEntry []struct {
					TrackType uint64
					CodecID   string
				}
			} `ebml:"Tracks,stop"`
		}
	}
	if err := ebml.Unmarshal(bufio.NewReader(f), &h); !errors.Is(err, ebml.ErrReadStopped) {
		if err == nil {
			err = errors.New("no Tracks element")
		}
		return "", "", fmt.Errorf("recorder: finalize: %s is not a Matroska recording: %w", path, err)
	}
	for _, t := range h.Segment.Tracks.TrackEntry {
		switch {
		case t.TrackType == 1 && video == "":
			video = codecFromID(t.CodecID)
		case t.TrackType == 2 && audio == "":
			audio = codecFromID(t.CodecID)
		}
	}
	if video == "" {
		return "", "", fmt.Errorf("recorder: finalize: %s has no video track", path)
	}
	return video, audio, nil
}

func sameFile(a, b string) bool {
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}

// runTool runs ffmpeg or ffprobe and returns its stdout. The error carries
// the tool's stderr.
func runTool(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := ffmpeg.Command(ctx, name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.Output()
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, fmt.Errorf("%s: %w", name, ctxErr)
		}
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 2000 { // ffmpeg may repeat a message per packet
			msg = msg[:1500] + " [...] " + msg[len(msg)-500:]
		}
		if msg == "" {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return nil, fmt.Errorf("%s: %w: %s", name, err, msg)
	}
	return out, nil
}

// Duration is a media file's duration as ffprobe reads it, an HLS playlist's too (0 if it
// reports none).
func Duration(ctx context.Context, path string) (time.Duration, error) {
	out, err := runTool(ctx, ffmpeg.FFprobe, "-v", "error", "-show_entries", "format=duration",
		"-of", "default=noprint_wrappers=1:nokey=1", path)
	if err != nil {
		return 0, err
	}
	s := strings.TrimSpace(string(out))
	if s == "" || s == "N/A" {
		return 0, nil
	}
	sec, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("ffprobe: unexpected duration %q", s)
	}
	return time.Duration(sec * float64(time.Second)), nil
}
