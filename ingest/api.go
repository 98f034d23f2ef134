package ingest

import (
	"fmt"
	"net"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"

	"mediapush/internal/rtc"
)

// Opus bitrates (bit/s) the answer asks the browser to send: the default, enough for music in
// stereo, and the range Opus encodes (RFC 6716: 6 to 510 kbit/s).
const (
	DefaultOpusBitrate = 128000
	MinOpusBitrate     = 6000
	MaxOpusBitrate     = 510000
)

// CheckOpusBitrate says what is wrong with an Opus bitrate, if anything.
func CheckOpusBitrate(bps int) error {
	if bps < MinOpusBitrate || bps > MaxOpusBitrate {
		return fmt.Errorf("an Opus bitrate is %d to %d bit/s, not %d", MinOpusBitrate, MaxOpusBitrate, bps)
	}
	return nil
}

// newAPI builds the WebRTC stack of the ingest: the codecs the capture path produces,
// NACK/RTCP/TWCC interceptors (so the sender's bandwidth estimate climbs to the asked bitrate),
// and ICE on loopback only.
func newAPI() (*webrtc.API, error) {
	s := webrtc.SettingEngine{}
	s.SetIncludeLoopbackCandidate(true)
	s.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	s.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	// Each session's answer says its own bitrate (withMusicAudio).
	opus := rtc.Opus("")
	return rtc.NewAPI(rtc.VideoCodecs(), []webrtc.RTPCodecParameters{opus}, s)
}
