package rooms

import (
	"testing"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/rs/zerolog"
)

// A video tap hears the stream's video packets and nothing of its audio, asks the publisher
// for a keyframe when it begins even right after a viewer did, and hears nothing once untapped.
func TestTapVideo(t *testing.T) {
	h, err := New(Config{Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	keyframes := 0
	s, err := h.Add(StreamInfo{ID: "cam", Kind: KindWHIP, Room: "r"}, func() { keyframes++ })
	if err != nil {
		t.Fatal(err)
	}
	video, err := s.AddTrack(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000,
		SDPFmtpLine: "packetization-mode=1"})
	if err != nil {
		t.Fatal(err)
	}
	audio, err := s.AddTrack(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2})
	if err != nil {
		t.Fatal(err)
	}
	vc, ac := s.Codecs()
	if vc == nil || vc.MimeType != webrtc.MimeTypeH264 || vc.SDPFmtpLine != "packetization-mode=1" || ac == nil || ac.MimeType != webrtc.MimeTypeOpus {
		t.Fatalf("codecs: video %+v, audio %+v", vc, ac)
	}

	s.RequestKeyframe() // a viewer's, just now
	var got []uint16
	untap := s.TapVideo(func(p *rtp.Packet) { got = append(got, p.SequenceNumber) })
	if keyframes != 2 {
		t.Errorf("the publisher was asked for %d keyframes, want one for the viewer and one for the tap", keyframes)
	}
	var heard []uint16
	untapAudio := s.TapAudio(func(p *rtp.Packet) { heard = append(heard, p.SequenceNumber) })
	defer untapAudio()

	video.WriteRTP(&rtp.Packet{Header: rtp.Header{SequenceNumber: 1}})
	audio.WriteRTP(&rtp.Packet{Header: rtp.Header{SequenceNumber: 100}})
	video.WriteRTP(&rtp.Packet{Header: rtp.Header{SequenceNumber: 2}})
	untap()
	video.WriteRTP(&rtp.Packet{Header: rtp.Header{SequenceNumber: 3}})
	if len(got) != 2 || got[0] != 1 || got[1] != 2 {
		t.Errorf("the video tap heard packets %v, want [1 2]", got)
	}
	if len(heard) != 1 || heard[0] != 100 {
		t.Errorf("the audio tap heard packets %v, want [100]", heard)
	}
}
