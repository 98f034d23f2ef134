package synthetic

import (
	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"

	"mediapush/internal/rtc"
)

// The codecs a participant offers: exactly what its files hold, so whatever the server
// answers, it can only pick these. The video is Constrained Baseline, level 3.1, as the file
// is encoded (see makeVideo).
var (
	h264 = rtc.H264("42e01f", 102)
	opus = rtc.Opus("")

	h264Codec = h264.RTPCodecCapability
	opusCodec = opus.RTPCodecCapability
)

// newAPI builds the WebRTC stack of one participant: its two codecs, the default
// interceptors (NACK responder, RTCP sender reports, TWCC), and host candidates over UDP4.
// With defaultCodecs it offers pion's default codecs instead (VP8 first, H264 after), as a
// WHIP client built on pion does, and still sends H264 and Opus.
func newAPI(defaultCodecs bool) (*webrtc.API, error) {
	s := webrtc.SettingEngine{}
	// Servers under test run on this machine or next to it: .local names would only slow
	// ICE down, and some servers (like the ingest) offer loopback candidates only.
	s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	s.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	s.SetIncludeLoopbackCandidate(true)
	if defaultCodecs {
		m := &webrtc.MediaEngine{}
		if err := m.RegisterDefaultCodecs(); err != nil {
			return nil, err
		}
		ir := &interceptor.Registry{}
		if err := webrtc.RegisterDefaultInterceptors(m, ir); err != nil {
			return nil, err
		}
		return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(s)), nil
	}
	return rtc.NewAPI([]webrtc.RTPCodecParameters{h264}, []webrtc.RTPCodecParameters{opus}, s)
}
