package rooms

import (
	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"

	"mediapush/internal/rtc"
)

// The codecs the conference server relays as they are: every browser decodes them.
var (
	videoCodecs = rtc.VideoCodecs()
	audioCodecs = []webrtc.RTPCodecParameters{rtc.Opus("")}
)

// newAPI builds the conference server's WebRTC stack. Unlike the ingest it is reachable from
// other machines: it gathers on every interface (loopback too, for pages on this machine).
func newAPI(publicIPs []string) (*webrtc.API, error) {
	s := webrtc.SettingEngine{}
	s.SetIncludeLoopbackCandidate(true)
	// mDNS needs multicast, which containers rarely have; peers learn each other's real
	// addresses from the connectivity checks instead.
	s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	if len(publicIPs) > 0 {
		s.SetNAT1To1IPs(publicIPs, webrtc.ICECandidateTypeHost)
	}
	return rtc.NewAPI(videoCodecs, audioCodecs, s)
}
