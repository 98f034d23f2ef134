// Package media holds the few types that pass between the ingest (RTP in) and the
// recorder (files out): what a track carries and one timed media sample of it.
package media

import (
	"fmt"
	"strings"
	"time"
)

// Codec names a codec as mediapush records it.
type Codec string

// Codecs that the capture path produces.
const (
	H264 Codec = "H264"
	VP8  Codec = "VP8"
	VP9  Codec = "VP9"
	Opus Codec = "Opus"
)

// IsVideo tells whether c is a video codec.
func (c Codec) IsVideo() bool { return c == H264 || c == VP8 || c == VP9 }

// CodecFromMime maps a WebRTC mime type ("video/H264") to a Codec.
func CodecFromMime(mime string) (Codec, error) {
	_, name, _ := strings.Cut(mime, "/")
	for _, c := range []Codec{H264, VP8, VP9, Opus} {
		if strings.EqualFold(name, string(c)) {
			return c, nil
		}
	}
	return "", fmt.Errorf("unsupported codec %q", mime)
}

// Track describes one elementary stream.
type Track struct {
	Codec     Codec
	ClockRate int // RTP clock rate: 90000 for video, 48000 for Opus
	Channels  int // audio only
}

// Sample is one access unit (video) or one frame (audio).
type Sample struct {
	// PTS is the presentation time on the session's common clock. Audio and
	// video PTS are comparable (aligned through RTCP sender reports).
	PTS time.Duration
	// Keyframe marks a video sample that can start decoding (an IDR for H264).
	Keyframe bool
	// NALUs holds an H264 access unit: NAL units without start codes or length prefixes.
	NALUs [][]byte
	// Frame holds a VP8/VP9 frame or an Opus packet.
	Frame []byte
}
