package recorder

import (
	"errors"
	"fmt"
	"strings"

	"mediapush/media"
)

// Format is the container of a finalized recording.
type Format string

// Formats of recordings. Finalize makes the files (mp4, webm, mp3) from the Matroska recording;
// HLS is segmented live, while recording, by the output package.
const (
	MP4  Format = "mp4"  // H264 video, AAC audio (transcoded from Opus)
	WebM Format = "webm" // VP8 or VP9 video, Opus audio
	MP3  Format = "mp3"  // the audio alone
	HLS  Format = "hls"  // H264 video, AAC audio, fMP4 segments and a playlist
)

// ParseFormat parses "mp4", "webm", "mp3" or "hls" (case-insensitive, surrounding space
// ignored).
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case MP4, WebM, MP3, HLS:
		return f, nil
	}
	return "", fmt.Errorf("recorder: unknown format %q (want mp4, webm, mp3 or hls)", s)
}

// Live tells whether f is made while recording rather than by Finalize.
func (f Format) Live() bool { return f == HLS }

// Accepts tells whether a track of codec c can go into a file of format f:
// H264 for mp4, VP8 and VP9 for webm, Opus audio for both.
func (f Format) Accepts(c media.Codec) bool {
	switch f {
	case MP4, HLS:
		return c == media.H264 || c == media.Opus
	case WebM:
		return c == media.VP8 || c == media.VP9 || c == media.Opus
	case MP3:
		return c.IsVideo() || c == media.Opus // the video is left out
	}
	return false
}

// videoCodecs names the video codecs f accepts, for error messages.
func (f Format) videoCodecs() string {
	switch f {
	case MP4, HLS:
		return "H264"
	case WebM:
		return "VP8 or VP9"
	case MP3:
		return "any"
	}
	return "no"
}

// checkTracks returns a clear error when video or audio (may be "") cannot
// go into f.
func (f Format) checkTracks(video, audio media.Codec) error {
	if f != MP4 && f != WebM && f != MP3 {
		return fmt.Errorf("recorder: %q is not a file format Finalize makes (want mp4, webm or mp3)", string(f))
	}
	if f == MP3 && audio == "" {
		return errors.New("recorder: mp3 needs audio, and the recording has none")
	}
	if !video.IsVideo() || !f.Accepts(video) {
		return fmt.Errorf("recorder: %s needs %s video, got %s", f, f.videoCodecs(), codecName(video))
	}
	if audio != "" && audio != media.Opus {
		return fmt.Errorf("recorder: %s needs Opus audio, got %s", f, codecName(audio))
	}
	return nil
}

func codecName(c media.Codec) string {
	if c == "" {
		return "none"
	}
	return string(c)
}
