package synthetic

import (
	"fmt"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

// addTrack adds a send-only track of the codec, and reads the RTCP the receiver sends back
// for it: pion runs its interceptors (NACK, reports) only while someone reads, and a
// picture loss report asks the video loop for a keyframe.
func (p *Participant) addTrack(codec webrtc.RTPCodecCapability, kind string) (*webrtc.TrackLocalStaticSample, error) {
	track, err := webrtc.NewTrackLocalStaticSample(codec, kind, "synthetic")
	if err != nil {
		return nil, fmt.Errorf("synthetic: %s track: %w", kind, err)
	}
	tr, err := p.pc.AddTransceiverFromTrack(track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		return nil, fmt.Errorf("synthetic: %s track: %w", kind, err)
	}
	sender := tr.Sender()
	p.wg.Go(func() {
		buf := make([]byte, 1500)
		for {
			n, _, err := sender.Read(buf) // fails once the peer connection closes
			if err != nil {
				return
			}
			// Not ReadRTCP, which fails on a packet it cannot parse: one odd packet from
			// the server must not end the reading.
			packets, err := rtcp.Unmarshal(buf[:n])
			if err != nil {
				continue
			}
			for _, pkt := range packets {
				switch pkt.(type) {
				case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
					p.keyframeWanted.Store(true)
				}
			}
		}
	})
	return track, nil
}
