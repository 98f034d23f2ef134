package recorder

import (
	"encoding/binary"
	"fmt"
	"time"
)

const (
	// opusPreSkip is the decoder delay of libopus (6.5 ms at 48 kHz), the
	// value WebRTC senders and ffmpeg use.
	opusPreSkip = 312
	// opusSeekPreRoll is what the Matroska spec recommends for Opus.
	opusSeekPreRoll = 80 * time.Millisecond
)

// opusHead builds the Opus identification header (RFC 7845 5.1) that
// Matroska stores as CodecPrivate of A_OPUS. All multi-byte fields are
// little-endian. (mediacommon's opus.IDHeader.Marshal writes them
// big-endian, so it is not used here.)
func opusHead(channels, inputRate int) ([]byte, error) {
	if channels < 1 || channels > 2 {
		return nil, fmt.Errorf("recorder: Opus with %d channels is not supported (1 or 2)", channels)
	}
	h := make([]byte, 0, 19)
	h = append(h, "OpusHead"...)
	h = append(h, 1, byte(channels))
	h = binary.LittleEndian.AppendUint16(h, opusPreSkip)
	h = binary.LittleEndian.AppendUint32(h, uint32(inputRate))
	h = binary.LittleEndian.AppendUint16(h, 0) // output gain
	h = append(h, 0)                           // channel mapping family 0: mono/stereo
	return h, nil
}

// opusCodecDelay is the Matroska CodecDelay for opusPreSkip, in ns.
func opusCodecDelay() uint64 {
	return uint64(opusPreSkip) * uint64(time.Second) / 48000
}
