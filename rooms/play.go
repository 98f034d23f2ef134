package rooms

import (
	"fmt"
	"sync"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

// playWait bounds how long a viewer waits for a stream that has not started sending.
const playWait = announceWait + 2*time.Second

// viewer is one WHEP player of a stream.
type viewer struct {
	id     string
	stream *Stream
	pc     *webrtc.PeerConnection
	wg     sync.WaitGroup
	once   sync.Once
}

// Play answers a WHEP offer to watch stream id. It returns the SDP answer and the session id
// that ends the viewing.
func (h *Hub) Play(id, offer string) (answer, session string, err error) {
	s, ok := h.Stream(id)
	if !ok {
		return "", "", fmt.Errorf("stream %s is not live: %w", id, ErrNotFound)
	}
	if _, err := readOffer(offer); err != nil {
		return "", "", err
	}
	// A publisher that has just been answered has no tracks yet: they come with its first packets.
	select {
	case <-s.ready:
	case <-s.done:
		return "", "", fmt.Errorf("stream %s has just ended: %w", id, ErrNotFound)
	case <-time.After(playWait):
		return "", "", fmt.Errorf("stream %s has sent no media yet: %w", id, ErrNotFound)
	}
	// Checked before the costly negotiation too, and again when the viewer is added.
	if err := admitViewer(id, s.viewerCount(), h.cfg.MaxViewers); err != nil {
		return "", "", err
	}
	pc, err := h.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return "", "", err
	}
	v := &viewer{id: newSessionID(), stream: s, pc: pc}
	answer, err = v.negotiate(offer)
	if err != nil {
		v.close()
		return "", "", err
	}
	if err := s.addViewer(v); err != nil {
		v.close()
		return "", "", err
	}
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		if st == webrtc.PeerConnectionStateFailed || st == webrtc.PeerConnectionStateClosed {
			go v.close()
		}
	})
	s.RequestKeyframe() // the viewer's picture starts at the next keyframe
	return answer, v.id, nil
}

// StopPlaying ends the viewing whose WHEP session is session.
func (h *Hub) StopPlaying(id, session string) error {
	s, ok := h.Stream(id)
	if !ok {
		return fmt.Errorf("stream %s is not live: %w", id, ErrNotFound)
	}
	v := s.viewer(session)
	if v == nil {
		return fmt.Errorf("no viewer %s of stream %s: %w", session, id, ErrNotFound)
	}
	v.close()
	return nil
}

func (v *viewer) negotiate(offer string) (string, error) {
	for _, t := range v.stream.localTracks() {
		sender, err := v.pc.AddTrack(t)
		if err != nil {
			return "", err
		}
		v.wg.Add(1)
		go func() {
			defer v.wg.Done()
			relayKeyframeRequests(sender, v.stream)
		}()
	}
	if err := v.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", fmt.Errorf("%w: %v", ErrBadOffer, err)
	}
	answer, err := v.pc.CreateAnswer(nil)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrBadOffer, err)
	}
	gathered := webrtc.GatheringCompletePromise(v.pc)
	if err := v.pc.SetLocalDescription(answer); err != nil {
		return "", fmt.Errorf("%w: the viewer cannot receive the stream's codecs: %v", ErrCodec, err)
	}
	<-gathered
	return v.pc.LocalDescription().SDP, nil
}

// relayKeyframeRequests passes a receiver's keyframe requests on to the stream's source, until
// the connection closes.
func relayKeyframeRequests(sender *webrtc.RTPSender, s *Stream) {
	for {
		pkts, _, err := sender.ReadRTCP()
		if err != nil {
			return
		}
		for _, p := range pkts {
			switch p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				s.RequestKeyframe()
			}
		}
	}
}

func (v *viewer) close() {
	v.once.Do(func() {
		v.stream.removeViewer(v)
		v.pc.Close() //nolint:errcheck // closing
		v.wg.Wait()
	})
}
