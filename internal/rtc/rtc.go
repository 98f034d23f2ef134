// Package rtc builds mediapush's WebRTC stacks: the codecs it receives and relays, the
// feedback they use, and the standard interceptors (NACK, RTCP reports, TWCC).
package rtc

import (
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"
)

// feedback lets peers ask for retransmissions and keyframes, and estimate bandwidth.
var feedback = []webrtc.RTCPFeedback{
	{Type: "goog-remb"}, {Type: "transport-cc"}, {Type: "ccm", Parameter: "fir"},
	{Type: "nack"}, {Type: "nack", Parameter: "pli"},
}

// VideoCodecs are the video codecs browsers send: H264 in the profiles they use (Constrained
// Baseline, Baseline, Main), VP8 and VP9.
func VideoCodecs() []webrtc.RTPCodecParameters {
	return []webrtc.RTPCodecParameters{
		H264("42e01f", 102), H264("42001f", 104), H264("4d001f", 106),
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000, RTCPFeedback: feedback}, PayloadType: 96},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP9, ClockRate: 90000,
			SDPFmtpLine: "profile-id=0", RTCPFeedback: feedback}, PayloadType: 98},
	}
}

// H264 is H264 (packetization mode 1) of one profile-level-id, as payload type pt.
func H264(profileLevelID string, pt webrtc.PayloadType) webrtc.RTPCodecParameters {
	return webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000,
		SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=" + profileLevelID, RTCPFeedback: feedback}, PayloadType: pt}
}

// Opus is stereo Opus at 48 kHz with the given extra fmtp parameters (e.g. a bitrate).
func Opus(extra string) webrtc.RTPCodecParameters {
	fmtp := "minptime=10;useinbandfec=1;stereo=1;sprop-stereo=1"
	if extra != "" {
		fmtp += ";" + extra
	}
	return webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2, SDPFmtpLine: fmtp,
	}, PayloadType: 111}
}

// NewAPI builds a WebRTC stack for the codecs given, with the default interceptors and the
// network settings of s.
func NewAPI(video, audio []webrtc.RTPCodecParameters, s webrtc.SettingEngine) (*webrtc.API, error) {
	m := &webrtc.MediaEngine{}
	for _, c := range video {
		if err := m.RegisterCodec(c, webrtc.RTPCodecTypeVideo); err != nil {
			return nil, err
		}
	}
	for _, c := range audio {
		if err := m.RegisterCodec(c, webrtc.RTPCodecTypeAudio); err != nil {
			return nil, err
		}
	}
	ir := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(m, ir); err != nil {
		return nil, err
	}
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(s)), nil
}
