package recorder

import (
	"fmt"
	"strings"

	"mediapush/media"
)

// Format is the container of a finalized recording.
type Format string

// Formats that Finalize produces.
const (
	MP4  Format = "mp4"  // H264 video, AAC audio (transcoded from Opus)
	WebM Format = "webm" // VP8 or VP9 video, Opus audio
)

// ParseFormat parses "mp4" or "webm" (case-insensitive, surrounding space
// ignored).
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case MP4, WebM:
		return f, nil
	}
	return "", fmt.Errorf("recorder: unknown format %q (want %q or %q)", s, MP4, WebM)
}

// Accepts tells whether a track of codec c can go into a file of format f:
// H264 for mp4, VP8 and VP9 for webm, Opus audio for both.
func (f Format) Accepts(c media.Codec) bool {
	switch f {
	case MP4:
		return c == media.H264 || c == media.Opus
	case WebM:
		return c == media.VP8 || c == media.VP9 || c == media.Opus
	}
	return false
}

// videoCodecs names the video codecs f accepts, for error messages.
func (f Format) videoCodecs() string {
	switch f {
	case MP4:
		return "H264"
	case WebM:
		return "VP8 or VP9"
	}
	return "no"
}

// checkTracks returns a clear error when video or audio (may be "") cannot
// go into f.
func (f Format) checkTracks(video, audio media.Codec) error {
	if f != MP4 && f != WebM {
		return fmt.Errorf("recorder: unknown format %q (want %q or %q)", string(f), MP4, WebM)
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
