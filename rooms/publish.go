package rooms

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

// PublishOptions describe a WHIP publisher.
type PublishOptions struct {
	Room        string // the room it joins (Ant Media's mainTrack); empty for none
	Name        string // display name shown by layouts
	ScreenShare bool   // the stream is a shared screen
	Presenter   string // for a screen share, the stream id of the presenter's camera
	// OnDataChannel, when set, receives the data channels the publisher opens (Ant Media's
	// SDK opens one to talk to its room).
	OnDataChannel func(*webrtc.DataChannel)
}

// Publish answers a WHIP offer that publishes stream id. It returns the SDP answer and the
// session id that ends the publication (the resource of the WHIP Location).
func (h *Hub) Publish(id string, opts PublishOptions, offer string) (answer, session string, err error) {
	offered, err := readOffer(offer)
	if err != nil {
		return "", "", err
	}
	kinds := map[string]int{}
	for _, m := range offered {
		if kinds[m.kind]++; kinds[m.kind] > 1 {
			return "", "", fmt.Errorf("%w: a publisher sends one video and one audio track at most", ErrBadOffer)
		}
	}
	s, err := h.Add(StreamInfo{ID: id, Kind: KindWHIP, Room: opts.Room, Name: opts.Name,
		ScreenShare: opts.ScreenShare, Presenter: opts.Presenter}, nil)
	if err != nil {
		return "", "", err
	}
	p := &publisher{stream: s, onDataChannel: opts.OnDataChannel}
	answer, err = p.negotiate(h.api, offer)
	if err != nil {
		s.Close("the offer could not be answered")
		return "", "", err
	}
	s.mu.Lock()
	announce := !s.closed // a publisher gone already is not announced, nor its end
	s.announced = announce
	session = s.session
	s.mu.Unlock()
	if announce {
		h.notify(s.Info(), true)
	}
	return answer, session, nil
}

// Unpublish ends the publication whose WHIP session is session.
func (h *Hub) Unpublish(id, session string) error {
	s, ok := h.Stream(id)
	if ok {
		s.mu.Lock()
		ok = s.info.Kind == KindWHIP && subtle.ConstantTimeCompare([]byte(session), []byte(s.session)) == 1
		s.mu.Unlock()
	}
	if !ok {
		return fmt.Errorf("no publication %s/%s: %w", id, session, ErrNotFound)
	}
	s.Close("the publisher left")
	return nil
}

// publisher receives one WHIP publication and relays it.
type publisher struct {
	stream    *Stream
	pc        *webrtc.PeerConnection
	videoSSRC atomic.Uint32
	wg        sync.WaitGroup

	onDataChannel func(*webrtc.DataChannel)
}

func (p *publisher) negotiate(api *webrtc.API, offer string) (string, error) {
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return "", err
	}
	p.pc = pc
	if p.onDataChannel != nil {
		pc.OnDataChannel(p.onDataChannel)
	}
	s := p.stream
	s.mu.Lock()
	s.session = newSessionID()
	s.keyframe = p.requestKeyframe
	s.addCandidate = pc.AddICECandidate
	s.onClose = func() {
		pc.Close() //nolint:errcheck // closing
		p.wg.Wait()
	}
	s.mu.Unlock()

	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", fmt.Errorf("%w: %v", ErrBadOffer, err)
	}
	// One codec per track, so the publisher sends what the relay announced to its viewers.
	forwarders := map[webrtc.RTPCodecType]*Forwarder{}
	for _, t := range pc.GetTransceivers() {
		codecs := t.Receiver().GetParameters().Codecs
		if len(codecs) == 0 {
			continue
		}
		if err := t.SetCodecPreferences(codecs[:1]); err != nil {
			return "", err
		}
		fw, err := s.AddTrack(codecs[0].RTPCodecCapability)
		if err != nil {
			return "", err
		}
		forwarders[t.Kind()] = fw
	}
	if len(forwarders) == 0 {
		return "", fmt.Errorf("%w: no track of the offer can be received", ErrCodec)
	}
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		fw := forwarders[tr.Kind()]
		if fw == nil || fw.track.Codec().MimeType != tr.Codec().MimeType {
			return
		}
		if tr.Kind() == webrtc.RTPCodecTypeVideo {
			p.videoSSRC.Store(uint32(tr.SSRC()))
		}
		p.wg.Add(1)
		defer p.wg.Done()
		for {
			pkt, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			fw.WriteRTP(pkt)
		}
	})
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		if st == webrtc.PeerConnectionStateFailed || st == webrtc.PeerConnectionStateClosed {
			// Not from this callback: closing waits for the connection's own goroutines.
			go s.Close("the publisher's connection " + st.String())
		}
	})
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrBadOffer, err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		return "", fmt.Errorf("%w: %v", ErrBadOffer, err)
	}
	<-gathered
	return pc.LocalDescription().SDP, nil
}

func (p *publisher) requestKeyframe() {
	if ssrc := p.videoSSRC.Load(); ssrc != 0 {
		p.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: ssrc}}) //nolint:errcheck // best effort
	}
}

func newSessionID() string {
	b := make([]byte, 16)
	rand.Read(b) //nolint:errcheck // never fails
	return hex.EncodeToString(b)
}
