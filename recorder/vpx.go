package recorder

import (
	"encoding/binary"
	"fmt"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/vp9"
)

// vp8Key tells whether frame is a VP8 keyframe (RFC 6386 9.1: the
// inverted key_frame bit of the frame tag).
func vp8Key(frame []byte) bool { return len(frame) > 0 && frame[0]&0x01 == 0 }

// vp8Size reads the picture size from a VP8 keyframe header.
func vp8Size(frame []byte) (width, height int, err error) {
	if len(frame) < 10 || !vp8Key(frame) {
		return 0, 0, fmt.Errorf("recorder: VP8 keyframe header too short (%d bytes)", len(frame))
	}
	if frame[3] != 0x9D || frame[4] != 0x01 || frame[5] != 0x2A {
		return 0, 0, fmt.Errorf("recorder: VP8 keyframe without start code")
	}
	width = int(binary.LittleEndian.Uint16(frame[6:]) & 0x3FFF)
	height = int(binary.LittleEndian.Uint16(frame[8:]) & 0x3FFF)
	if width == 0 || height == 0 {
		return 0, 0, fmt.Errorf("recorder: VP8 keyframe with size %dx%d", width, height)
	}
	return width, height, nil
}

// vp9Key tells whether frame starts with a VP9 keyframe and returns its
// picture size.
func vp9Key(frame []byte) (key bool, width, height int) {
	var h vp9.Header
	if err := h.Unmarshal(frame); err != nil || h.ShowExistingFrame || h.NonKeyFrame {
		return false, 0, 0
	}
	return true, h.Width(), h.Height()
}
