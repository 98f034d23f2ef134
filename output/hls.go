package output

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"mediapush/internal/ffmpeg"
	"mediapush/internal/recname"
)

// HLS segment lengths: the default and the range a setting may take. A segment starts on a
// keyframe, so it lasts at least its length and ends at the first keyframe after it (the
// ingest asks for one every 2 s, or every segment length when that is shorter).
const (
	DefaultHLSSegment = 2 * time.Second
	MinHLSSegment     = time.Second
	MaxHLSSegment     = 10 * time.Second
)

// CheckHLSSegment says what is wrong with an HLS segment length, if anything.
func CheckHLSSegment(d time.Duration) error {
	if d < MinHLSSegment || d > MaxHLSSegment {
		return fmt.Errorf("an HLS segment length is %s to %s, not %s", MinHLSSegment, MaxHLSSegment, d)
	}
	return nil
}

// HLS makes an EVENT playlist dir/name.m3u8 with fMP4 segments name_00001.m4s … and the init
// segment name_init.mp4, playable while it grows; Close ends the playlist. Video is copied
// (H264), audio made AAC, which every HLS player plays. Segments last about segment (0:
// DefaultHLSSegment), which the caller has checked (CheckHLSSegment).
func HLS(dir, name string, segment time.Duration) Spec {
	if segment <= 0 {
		segment = DefaultHLSSegment
	}
	return Spec{
		Name: "hls " + recname.PlaylistName(name),
		Args: []string{
			"-map", "0:v:0", "-map", "0:a:0?", "-c:v", "copy", "-c:a", "aac", "-b:a", "128k",
			"-f", "hls", "-hls_time", strconv.FormatFloat(segment.Seconds(), 'f', -1, 64), "-hls_playlist_type", "event",
			"-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", recname.InitName(name),
			"-hls_segment_filename", filepath.Join(dir, recname.SegmentPattern(name)),
			"-hls_flags", "independent_segments+temp_file",
			filepath.Join(dir, recname.PlaylistName(name)),
		},
	}
}

// TimeLastSegment rewrites the duration an ended playlist gives its last segment so that the
// playlist lasts as long as its media. ffmpeg times the segment still open when its input ends
// by adding up its frames' durations, which a browser's capture does not carry: once ffmpeg
// has probed the stream it guesses them (1 ms a frame for a capture timed in milliseconds), so
// that segment was listed as a few milliseconds and the recording played short by up to a
// whole segment. Which frames got guesses depended on how much of the stream the probe had
// read, that is on how fast ffmpeg started. The segments before are timed by the timestamps of
// the keyframes that closed them, and are kept.
func TimeLastSegment(ctx context.Context, playlist string) error {
	b, err := os.ReadFile(playlist)
	if err != nil {
		return err
	}
	lines := strings.Split(string(b), "\n")
	dir := filepath.Dir(playlist)
	var parts []string // the init segment, then the media segments
	last := -1         // the line of the last EXTINF
	var before time.Duration
	for i, l := range lines {
		file := ""
		if v, ok := strings.CutPrefix(l, `#EXT-X-MAP:URI="`); ok {
			file, _, _ = strings.Cut(v, `"`)
		}
		if v, ok := strings.CutPrefix(l, "#EXTINF:"); ok && i+1 < len(lines) {
			if last >= 0 {
				before += extinf(lines[last])
			}
			sec, _, _ := strings.Cut(v, ",")
			if _, err := strconv.ParseFloat(sec, 64); err != nil {
				return fmt.Errorf("%s: bad segment duration %q", playlist, l)
			}
			last, file = i, strings.TrimSpace(lines[i+1])
		}
		if file == "" {
			continue
		}
		if file != filepath.Base(file) || strings.ContainsAny(file, "|\\") {
			return fmt.Errorf("%s names %q, not a file beside it", playlist, file)
		}
		parts = append(parts, filepath.Join(dir, file))
	}
	if last < 0 || len(parts) < 2 {
		return nil // nothing segmented
	}
	total, err := mediaSpan(ctx, parts)
	if err != nil {
		return fmt.Errorf("timing %s: %w", playlist, err)
	}
	lines[last] = "#EXTINF:" + strconv.FormatFloat(max(total-before, 0).Seconds(), 'f', 6, 64) + ","
	tmp := playlist + ".timing"
	if err := os.WriteFile(tmp, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, playlist) // the playlist may be being served: never half written
}

func extinf(line string) time.Duration {
	v, _ := strings.CutPrefix(line, "#EXTINF:")
	v, _, _ = strings.Cut(v, ",")
	sec, _ := strconv.ParseFloat(v, 64)
	return time.Duration(sec * float64(time.Second))
}

// mediaSpan is how long the media of an fMP4 init segment and its segments lasts, from the
// first frame to the end of the last: the video's if there is any, else the audio's.
func mediaSpan(ctx context.Context, parts []string) (time.Duration, error) {
	for _, stream := range []string{"v:0", "a:0"} {
		out, err := ffmpeg.Command(ctx, ffmpeg.FFprobe, "-v", "error", "-select_streams", stream,
			"-show_entries", "packet=pts_time,duration_time", "-of", "csv=p=0",
			"concat:"+strings.Join(parts, "|")).Output()
		if err != nil {
			return 0, fmt.Errorf("ffprobe: %w", err)
		}
		first, end, n := 0.0, 0.0, 0
		for line := range strings.Lines(string(out)) {
			pts, dur, _ := strings.Cut(strings.TrimSpace(line), ",")
			p, err := strconv.ParseFloat(pts, 64)
			if err != nil {
				continue
			}
			d, _ := strconv.ParseFloat(dur, 64) // N/A for some frames
			if n == 0 {
				first = p
			}
			end = max(end, p+d)
			n++
		}
		if n > 0 {
			return time.Duration((end - first) * float64(time.Second)), nil
		}
	}
	return 0, errors.New("no media in the segments")
}
