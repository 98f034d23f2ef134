package synthetic

import (
	"errors"
	"io"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"
	"github.com/pion/webrtc/v4/pkg/media/h264reader"
)

// accessUnit is one coded picture as Annex-B: the slices of a frame, after the SPS and PPS
// when it is a keyframe. It is sent as one sample, so all its NAL units share a timestamp and
// the parameter sets arrive with the IDR they belong to (the payloader splits on start codes).
type accessUnit struct {
	data     []byte
	keyframe bool // holds an IDR slice
}

// auReader groups the NAL units of an Annex-B stream into access units.
type auReader struct {
	nals *h264reader.H264Reader
	next *h264reader.NAL // read ahead: the first NAL unit of the following access unit
}

func newAUReader(r io.Reader) (*auReader, error) {
	nals, err := h264reader.NewReader(r)
	if err != nil {
		return nil, err
	}
	return &auReader{nals: nals}, nil
}

var startCode = []byte{0, 0, 0, 1}

// read returns the next access unit, or io.EOF after the last one.
func (r *auReader) read() (accessUnit, error) {
	var au accessUnit
	hasSlice := false
	for {
		nal := r.next
		r.next = nil
		if nal == nil {
			var err error
			nal, err = r.nals.NextNAL()
			if errors.Is(err, io.EOF) || (err == nil && nal == nil) {
				if hasSlice {
					return au, nil
				}
				return accessUnit{}, io.EOF
			}
			if err != nil {
				return accessUnit{}, err
			}
		}
		if hasSlice && startsAccessUnit(nal) {
			r.next = nal
			return au, nil
		}
		au.data = append(append(au.data, startCode...), nal.Data...)
		switch nal.UnitType {
		case h264reader.NalUnitTypeCodedSliceIdr:
			au.keyframe = true
			hasSlice = true
		case h264reader.NalUnitTypeCodedSliceNonIdr:
			hasSlice = true
		}
	}
}

// startsAccessUnit tells whether a NAL unit that follows a slice begins a new picture
// (H.264 7.4.1.2.3). x264 cuts each frame into several slices when it runs sliced threads
// (-tune zerolatency on a multi-core machine), so a slice starts a picture only if it is the
// picture's first: first_mb_in_slice, the first field of its header, is 0, which Exp-Golomb
// codes as a single 1 bit.
func startsAccessUnit(nal *h264reader.NAL) bool {
	switch nal.UnitType {
	case h264reader.NalUnitTypeSPS, h264reader.NalUnitTypePPS, h264reader.NalUnitTypeAUD, h264reader.NalUnitTypeSEI:
		return true
	case h264reader.NalUnitTypeCodedSliceIdr, h264reader.NalUnitTypeCodedSliceNonIdr:
		return len(nal.Data) > 1 && nal.Data[1]&0x80 != 0
	}
	return false
}

// sendVideo plays the H264 file at fps until the participant stops. After a picture loss
// report it skips ahead to the next keyframe (at most a second of the file away) instead of
// waiting for it in real time; the picture never changes, so nothing is visibly lost.
func (p *Participant) sendVideo(track *webrtc.TrackLocalStaticSample, path string, fps int) error {
	frame := time.Second / time.Duration(fps)
	tick := time.NewTicker(frame)
	defer tick.Stop()
	w := writeLogger{log: p.log, kind: "video"}
	return p.loopFile(path, func(r io.Reader) error {
		aus, err := newAUReader(r)
		if err != nil {
			return err
		}
		seekKeyframe := false
		for n := 0; ; n++ {
			au, err := aus.read()
			if errors.Is(err, io.EOF) && n == 0 {
				return errors.New("no pictures in the H264 file")
			}
			if err != nil {
				return err
			}
			if p.keyframeWanted.Swap(false) {
				seekKeyframe = true
			}
			if seekKeyframe && !au.keyframe {
				continue
			}
			seekKeyframe = false
			if !p.wait(tick) {
				return errStopped
			}
			w.check(track.WriteSample(media.Sample{Data: au.data, Duration: frame}))
		}
	})
}
