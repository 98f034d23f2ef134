package recorder

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
)

// h264Params remembers the latest SPS and PPS seen in the stream, so that a
// keyframe whose parameter sets were sent in an earlier access unit can still
// start the recording.
type h264Params struct {
	sps, pps []byte
}

// scan records the parameter sets of au and tells whether au holds an IDR
// slice.
func (p *h264Params) scan(au [][]byte) (idr bool) {
	for _, n := range au {
		if len(n) == 0 {
			continue
		}
		switch h264.NALUType(n[0] & 0x1F) {
		case h264.NALUTypeIDR:
			idr = true
		case h264.NALUTypeSPS:
			if !bytesEqual(p.sps, n) {
				p.sps = append([]byte(nil), n...)
			}
		case h264.NALUTypePPS:
			if !bytesEqual(p.pps, n) {
				p.pps = append([]byte(nil), n...)
			}
		}
	}
	return idr
}

func bytesEqual(a, b []byte) bool { return string(a) == string(b) }

var errNoParams = errors.New("recorder: H264 keyframe without SPS/PPS yet")

// avcC builds the AVCDecoderConfigurationRecord (ISO/IEC 14496-15 5.3.3.1)
// that Matroska stores as the CodecPrivate of V_MPEG4/ISO/AVC, and returns
// the picture size from the SPS.
func (p *h264Params) avcC() (rec []byte, width, height int, err error) {
	if len(p.sps) < 4 || len(p.pps) == 0 {
		return nil, 0, 0, errNoParams
	}
	var sps h264.SPS
	if err := sps.Unmarshal(p.sps); err != nil {
		return nil, 0, 0, fmt.Errorf("recorder: bad H264 SPS: %w", err)
	}
	width, height = sps.Width(), sps.Height()
	if width <= 0 || height <= 0 {
		return nil, 0, 0, fmt.Errorf("recorder: bad H264 SPS: size %dx%d", width, height)
	}
	rec = make([]byte, 0, 11+len(p.sps)+len(p.pps)+4)
	rec = append(rec,
		1,        // configurationVersion
		p.sps[1], // AVCProfileIndication
		p.sps[2], // profile_compatibility
		p.sps[3], // AVCLevelIndication
		0xFC|3,   // lengthSizeMinusOne: 4-byte NAL unit lengths
		0xE0|1)   // numOfSequenceParameterSets
	rec = binary.BigEndian.AppendUint16(rec, uint16(len(p.sps)))
	rec = append(rec, p.sps...)
	rec = append(rec, 1) // numOfPictureParameterSets
	rec = binary.BigEndian.AppendUint16(rec, uint16(len(p.pps)))
	rec = append(rec, p.pps...)
	switch sps.ProfileIdc {
	case 100, 110, 122, 144: // High profiles carry the chroma/bit-depth extension
		rec = append(rec,
			0xFC|byte(sps.ChromaFormatIdc&3),
			0xF8|byte(sps.BitDepthLumaMinus8&7),
			0xF8|byte(sps.BitDepthChromaMinus8&7),
			0) // numOfSequenceParameterSetExt
	}
	return rec, width, height, nil
}

// avccFrame converts an access unit to the AVCC layout Matroska stores: each
// NAL unit prefixed by its 4-byte big-endian length. In-band SPS/PPS are
// kept. Empty NAL units are skipped.
func avccFrame(au [][]byte) []byte {
	n := 0
	for _, nalu := range au {
		if len(nalu) > 0 {
			n += 4 + len(nalu)
		}
	}
	buf := make([]byte, 0, n)
	for _, nalu := range au {
		if len(nalu) > 0 {
			buf = binary.BigEndian.AppendUint32(buf, uint32(len(nalu)))
			buf = append(buf, nalu...)
		}
	}
	return buf
}
