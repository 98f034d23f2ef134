package ingest

import (
	"net"
	"strconv"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"

	"mediapush/internal/rtc"
)

// OpusBitrate is what the answer asks the browser to send: enough for music, in stereo.
const OpusBitrate = 128000

// newAPI builds the WebRTC stack of the ingest: the codecs the capture path produces,
// NACK/RTCP/TWCC interceptors (so the sender's bandwidth estimate climbs to the asked bitrate),
// and ICE on loopback only.
func newAPI() (*webrtc.API, error) {
	s := webrtc.SettingEngine{}
	s.SetIncludeLoopbackCandidate(true)
	s.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	s.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	opus := rtc.Opus("maxaveragebitrate=" + strconv.Itoa(OpusBitrate))
	return rtc.NewAPI(rtc.VideoCodecs(), []webrtc.RTPCodecParameters{opus}, s)
}
