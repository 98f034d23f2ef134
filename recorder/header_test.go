package recorder

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/at-wat/ebml-go"

	"mediapush/media"
)

type recordedHeader struct {
	Header struct {
		DocType string `ebml:"EBMLDocType"`
	} `ebml:"EBML"`
	Segment struct {
		Info struct {
			TimecodeScale uint64
		}
		Tracks struct {
			TrackEntry []struct {
				TrackNumber  uint64
				TrackType    uint64
				CodecID      string
				CodecPrivate []byte
				CodecDelay   uint64
				SeekPreRoll  uint64
				Video        struct{ PixelWidth, PixelHeight uint64 }
				Audio        struct {
					SamplingFrequency float64
					Channels          uint64
				}
			}
		} `ebml:"Tracks,stop"`
	}
}

func readHeader(t *testing.T, path string) recordedHeader {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var h recordedHeader
	if err := ebml.Unmarshal(bufio.NewReader(f), &h); !errors.Is(err, ebml.ErrReadStopped) {
		t.Fatal(err)
	}
	return h
}

// The track header: DocType, avcC from the stream's SPS/PPS, picture size,
// OpusHead, CodecDelay and SeekPreRoll.
func TestTrackHeader(t *testing.T) {
	for _, tc := range []struct {
		codec   media.Codec
		docType string
		codecID string
	}{
		{media.H264, "matroska", "V_MPEG4/ISO/AVC"},
		{media.VP8, "webm", "V_VP8"},
		{media.VP9, "webm", "V_VP9"},
	} {
		t.Run(string(tc.codec), func(t *testing.T) {
			c := inputClip(t, tc.codec)
			src, _ := record(t, c, true, 0)
			h := readHeader(t, src)
			if h.Header.DocType != tc.docType || h.Segment.Info.TimecodeScale != 1000000 {
				t.Errorf("DocType %q, TimecodeScale %d", h.Header.DocType, h.Segment.Info.TimecodeScale)
			}
			tracks := h.Segment.Tracks.TrackEntry
			if len(tracks) != 2 {
				t.Fatalf("%d tracks", len(tracks))
			}
			v, a := tracks[0], tracks[1]
			if v.TrackNumber != 1 || v.TrackType != 1 || v.CodecID != tc.codecID ||
				v.Video.PixelWidth != 640 || v.Video.PixelHeight != 360 {
				t.Errorf("video track %+v", v)
			}
			if tc.codec == media.H264 {
				ps, err := parseAVCC(v.CodecPrivate)
				if err != nil || len(ps) != 2 || !bytes.Equal(ps[0], c.vs[0].NALUs[0]) || !bytes.Equal(ps[1], c.vs[0].NALUs[1]) {
					t.Errorf("avcC %x does not hold the stream's SPS/PPS (%v)", v.CodecPrivate, err)
				}
				if v.CodecPrivate[1] != 66 || v.CodecPrivate[4] != 0xFF {
					t.Errorf("avcC profile %d, length size byte %#x", v.CodecPrivate[1], v.CodecPrivate[4])
				}
			}
			head := a.CodecPrivate
			if a.TrackNumber != 2 || a.TrackType != 2 || a.CodecID != "A_OPUS" || len(head) != 19 ||
				string(head[:8]) != "OpusHead" || head[8] != 1 || head[9] != 2 ||
				binary.LittleEndian.Uint16(head[10:]) != 312 || binary.LittleEndian.Uint32(head[12:]) != 48000 {
				t.Errorf("audio track %+v", a)
			}
			if a.CodecDelay != uint64(6500*time.Microsecond) || a.SeekPreRoll != uint64(80*time.Millisecond) ||
				a.Audio.SamplingFrequency != 48000 || a.Audio.Channels != 2 {
				t.Errorf("audio track %+v", a)
			}
		})
	}
}

// A new cluster starts at each video keyframe, and a cluster spans at most
// a second.
func TestClusters(t *testing.T) {
	c := inputClip(t, media.VP8)
	// Keyframes every 60 frames (2 s): clusters must be cut by time too.
	vs := make([]media.Sample, 0, len(c.vs))
	for i, s := range c.vs {
		if i%60 == 30 {
			continue // drop every other keyframe: 2 s without one
		}
		vs = append(vs, s)
	}
	cc := *c
	cc.vs = vs
	src, _ := record(t, &cc, true, 0)
	bs := mustListBlocks(t, src)
	first := map[int]block{}
	last := map[int]block{}
	for i, b := range bs {
		if _, ok := first[b.cluster]; !ok {
			first[b.cluster] = b
		}
		last[b.cluster] = b
		if b.track == 1 && b.key && i > 0 && bs[i-1].cluster == b.cluster {
			t.Errorf("video keyframe at %v does not start a cluster", b.ts)
		}
	}
	if len(first) < 4 {
		t.Errorf("%d clusters for %v", len(first), bs[len(bs)-1].ts)
	}
	for k, f := range first {
		if d := last[k].ts - f.ts; d > time.Second {
			t.Errorf("cluster %d spans %v", k, d)
		}
	}
}
