package rooms

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

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
	// Kind is the stream's kind: KindWHIP (the default) for a participant, KindMediaPush for
	// a media-push session's stream that the worker node running it relays here. Watchers
	// hear only of KindWHIP publications.
	Kind Kind
	// Replace ends a publication of the same id and kind first, rather than refusing the new
	// one: a session that moved to another node is published again from there while its old
	// node's publication may not have timed out yet.
	Replace bool
}

// announceWait bounds the wait for the other kinds a publisher offered once its first track
// started: one that offered audio and video but sends only audio joins its room with its audio.
const announceWait = 3 * time.Second

// Publish answers a WHIP offer that publishes stream id. It returns the SDP answer and the
// session id that ends the publication (the resource of the WHIP Location). Every codec the
// offer proposes that the server relays is accepted; the stream's tracks take the codecs the
// publisher actually sends, and the stream is announced to watchers (and listed among its
// room's participants) once they are known.
func (h *Hub) Publish(id string, opts PublishOptions, offer string) (answer, session string, err error) {
	offered, err := readOffer(offer)
	if err != nil {
		return "", "", err
	}
	kinds, sending := map[string]int{}, 0
	for _, m := range offered {
		if kinds[m.kind]++; kinds[m.kind] > 1 {
			return "", "", fmt.Errorf("%w: a publisher sends one video and one audio track at most", ErrBadOffer)
		}
		if m.sends {
			sending++
		}
	}
	if sending == 0 {
		return "", "", fmt.Errorf("%w: it sends neither audio nor video (every section is recvonly or inactive)", ErrBadOffer)
	}
	if opts.Kind == "" {
		opts.Kind = KindWHIP
	}
	if opts.Replace {
		h.endPublication(id, opts.Kind)
	}
	s, err := h.add(StreamInfo{ID: id, Kind: opts.Kind, Room: opts.Room, Name: opts.Name,
		ScreenShare: opts.ScreenShare, Presenter: opts.Presenter}, nil, true)
	if err != nil {
		return "", "", err
	}
	p := &publisher{stream: s, expected: sending, started: map[webrtc.RTPCodecType]*Forwarder{},
		onDataChannel: opts.OnDataChannel}
	answer, err = p.negotiate(h.api, offer)
	if err != nil {
		s.Close("the offer could not be answered")
		return "", "", err
	}
	s.mu.Lock()
	session = s.session
	s.mu.Unlock()
	return answer, session, nil
}

// endPublication ends the publication of stream id if it is one of kind.
func (h *Hub) endPublication(id string, kind Kind) {
	if s, ok := h.Stream(id); ok && s.published && s.info.Kind == kind {
		s.Close("a new publication of the stream replaces it")
	}
}

// Unpublish ends the publication whose WHIP session is session.
func (h *Hub) Unpublish(id, session string) error {
	s, ok := h.Stream(id)
	if ok {
		s.mu.Lock()
		ok = s.published && subtle.ConstantTimeCompare([]byte(session), []byte(s.session)) == 1
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

	// onDataChannel receives the data channels the publisher opens (the JS SDK's messages).
	onDataChannel func(*webrtc.DataChannel)

	mu       sync.Mutex
	expected int                                // how many tracks the offer sends
	started  map[webrtc.RTPCodecType]*Forwarder // the tracks relayed, by kind
	sealed   bool                               // the tracks were announced: no more are added
	wait     *time.Timer                        // announces what started, announceWait after the first
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
	s.remoteDescription = pc.RemoteDescription
	s.onClose = func() {
		p.mu.Lock()
		if p.wait != nil {
			p.wait.Stop()
		}
		p.mu.Unlock()
		pc.Close() //nolint:errcheck // closing
		p.wg.Wait()
	}
	s.mu.Unlock()

	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", fmt.Errorf("%w: %v", ErrBadOffer, err)
	}
	// Every relayable codec offered is answered: a publisher may send any of them (a pion
	// client offers VP8 first and sends H264 when its track is H264). The relay track is made
	// when the first packets tell which one it sends.
	receivable := false
	for _, t := range pc.GetTransceivers() {
		if len(t.Receiver().GetParameters().Codecs) > 0 {
			receivable = true
		}
	}
	if !receivable {
		return "", fmt.Errorf("%w: no track of the offer can be received", ErrCodec)
	}
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		fw := p.start(tr)
		if fw == nil {
			return
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

// start makes the relay track of a remote track in the codec its first packets carry, and
// announces the stream once every track the offer sends has started. It returns nil for a
// track not relayed: a second one of a kind, or one that starts after the announcement
// (viewers and room players have been given the stream's tracks by then).
func (p *publisher) start(tr *webrtc.TrackRemote) *Forwarder {
	s := p.stream
	p.mu.Lock()
	if p.sealed || p.started[tr.Kind()] != nil {
		p.mu.Unlock()
		why := "a second track of its kind"
		if p.sealed {
			why = "it started after the stream's tracks were announced"
		}
		s.hub.log.Warn().Str("streamId", s.info.ID).Str("kind", tr.Kind().String()).Str("reason", why).
			Msg("a track is not relayed")
		return nil
	}
	fw, err := s.AddTrack(tr.Codec().RTPCodecCapability)
	if err != nil {
		p.mu.Unlock()
		s.hub.log.Error().Err(err).Str("streamId", s.info.ID).Msg("cannot relay a track")
		return nil
	}
	if tr.Kind() == webrtc.RTPCodecTypeVideo {
		p.videoSSRC.Store(uint32(tr.SSRC()))
	}
	p.started[tr.Kind()] = fw
	complete := len(p.started) >= p.expected
	if complete {
		p.sealed = true
	} else if p.wait == nil {
		p.wait = time.AfterFunc(announceWait, p.seal)
	}
	p.mu.Unlock()
	if complete {
		s.announce()
	}
	return fw
}

// seal announces the stream with the tracks started so far.
func (p *publisher) seal() {
	p.mu.Lock()
	p.sealed = true
	p.mu.Unlock()
	p.stream.announce()
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
