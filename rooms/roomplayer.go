package rooms

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"
)

// Player sends streams to one peer over a connection that this server offers, and offers
// again as streams come and go. Ant Media's JS SDK plays a room this way: one connection
// carries every participant's tracks, named ARDAMSv{id} and ARDAMSa{id}, all in one media
// stream (the room), so that the page can tell whose each track is and sees tracks leave.
type Player struct {
	hub   *Hub
	pc    *webrtc.PeerConnection
	dc    *webrtc.DataChannel
	msid  string
	offer func(sdp string, idMapping map[string]string)

	mu       sync.Mutex
	want     map[string]*Stream
	sent     map[string]map[*webrtc.TrackLocalStaticRTP]*webrtc.RTPSender
	fresh    []*Stream // sent in the offer awaiting its answer: they need a keyframe once it comes
	awaiting bool      // an offer is out; the next waits for its answer
	started  bool      // Start was called: changes are offered
	deadline *time.Timer
	closed   bool

	kick     chan struct{}
	done     chan struct{}
	wg       sync.WaitGroup
	once     sync.Once
	onClosed func()
}

// PlayerOptions describe a Player.
type PlayerOptions struct {
	// StreamID names the media stream (msid) of every track, and labels the data channel the
	// server opens: the room for a room's player, the stream's id for a stream's.
	StreamID string
	// Offer sends an offer to the peer with idMapping, each media section's mid → track id. It
	// is called from one goroutine, never again before Answer.
	Offer func(sdp string, idMapping map[string]string)
	// OnClose is called once the player has ended, whatever ended it.
	OnClose func()
}

// answerTimeout ends a player whose peer does not answer an offer: it holds a connection.
const answerTimeout = 30 * time.Second

// ErrNoAnswer is the cause of a player's end when its peer does not answer in time.
var ErrNoAnswer = errors.New("the player's peer did not answer the offer")

// NewPlayer makes a player with no streams. Add the streams it begins with, then Start it:
// its first offer carries them all.
func (h *Hub) NewPlayer(o PlayerOptions) (*Player, error) {
	h.mu.Lock()
	closed := h.closed
	h.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	pc, err := h.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, err
	}
	ordered := true
	dc, err := pc.CreateDataChannel(o.StreamID, &webrtc.DataChannelInit{Ordered: &ordered})
	if err != nil {
		pc.Close() //nolint:errcheck // closing
		return nil, err
	}
	p := &Player{hub: h, pc: pc, dc: dc, msid: o.StreamID, offer: o.Offer, onClosed: o.OnClose,
		want: map[string]*Stream{}, sent: map[string]map[*webrtc.TrackLocalStaticRTP]*webrtc.RTPSender{},
		kick: make(chan struct{}, 1), done: make(chan struct{})}
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		if st == webrtc.PeerConnectionStateFailed || st == webrtc.PeerConnectionStateClosed {
			go p.Close()
		}
	})
	p.wg.Add(1)
	go p.negotiate()
	return p, nil
}

// Start sends the first offer; later changes are offered as they come.
func (p *Player) Start() {
	p.mu.Lock()
	p.started = true
	p.mu.Unlock()
	p.poke()
}

// Done is closed when the player has ended.
func (p *Player) Done() <-chan struct{} { return p.done }

// Add sends stream id from the next offer on. It reports false when no such stream is live.
func (p *Player) Add(id string) bool {
	s, ok := p.hub.Stream(id)
	if !ok {
		return false
	}
	p.mu.Lock()
	_, had := p.want[id]
	p.want[id] = s
	started := p.started
	p.mu.Unlock()
	if !had && started {
		p.poke()
	}
	return true
}

// Remove stops sending stream id; the next offer takes its tracks away.
func (p *Player) Remove(id string) {
	p.mu.Lock()
	_, had := p.want[id]
	delete(p.want, id)
	p.mu.Unlock()
	if had {
		p.poke()
	}
}

// Streams are the ids of the streams the player sends, sorted.
func (p *Player) Streams() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Sorted(maps.Keys(p.want))
}

// Answer takes the peer's answer to the last offer.
func (p *Player) Answer(sdp string) error {
	p.mu.Lock()
	awaiting := p.awaiting
	p.mu.Unlock()
	if !awaiting {
		return fmt.Errorf("%w: no offer awaits an answer", ErrBadOffer)
	}
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdp}); err != nil {
		return fmt.Errorf("%w: %v", ErrBadOffer, err)
	}
	p.mu.Lock()
	p.awaiting = false
	if p.deadline != nil {
		p.deadline.Stop()
	}
	fresh := p.fresh
	p.fresh = nil
	p.mu.Unlock()
	for _, s := range fresh {
		s.RequestKeyframe() // the peer's picture of it starts at the next keyframe
	}
	p.poke() // streams that changed while the offer was out
	return nil
}

// AddCandidate gives the connection an ICE candidate of its peer.
func (p *Player) AddCandidate(c webrtc.ICECandidateInit) error {
	if err := p.pc.AddICECandidate(c); err != nil {
		return fmt.Errorf("%w: candidate %q: %v", ErrBadOffer, c.Candidate, err)
	}
	return nil
}

// Send passes a data-channel message to the peer; it is dropped while the channel is not open.
func (p *Player) Send(data []byte, text bool) {
	if p.dc.ReadyState() != webrtc.DataChannelStateOpen {
		return
	}
	if text {
		p.dc.SendText(string(data)) //nolint:errcheck // a peer gone is ended by its connection's state
	} else {
		p.dc.Send(data) //nolint:errcheck // as above
	}
}

// Close ends the player. Calling it again does nothing.
func (p *Player) Close() {
	p.once.Do(func() {
		close(p.done) // first: an offer waiting for its candidates gives up
		p.mu.Lock()
		p.closed = true
		if p.deadline != nil {
			p.deadline.Stop()
		}
		p.mu.Unlock()
		p.pc.Close() //nolint:errcheck // closing
		p.wg.Wait()
		if p.onClosed != nil {
			p.onClosed()
		}
	})
}

func (p *Player) poke() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// recheck is how often a player looks for tracks its streams gained since they started.
const recheck = time.Second

// negotiate sends an offer whenever the tracks to send differ from those sent and no offer
// awaits its answer: offers never cross.
func (p *Player) negotiate() {
	defer p.wg.Done()
	tick := time.NewTicker(recheck)
	defer tick.Stop()
	first := true
	for {
		select {
		case <-p.done:
			return
		case <-p.kick:
		case <-tick.C:
		}
		p.mu.Lock()
		if p.closed || !p.started || p.awaiting || (!first && !p.changedLocked()) {
			p.mu.Unlock()
			continue
		}
		first = false
		err := p.sendOfferLocked()
		p.mu.Unlock()
		if err != nil {
			p.hub.log.Warn().Err(err).Str("streamId", p.msid).Msg("player cannot offer")
			go p.Close()
			return
		}
	}
}

func (p *Player) changedLocked() bool {
	if len(p.want) != len(p.sent) {
		return true
	}
	for id, s := range p.want {
		sent, ok := p.sent[id]
		if !ok || s.isClosed() || len(s.localTracks()) != len(sent) {
			return true
		}
	}
	return false
}

// sendOfferLocked brings the connection's tracks to the wanted streams' and offers them.
func (p *Player) sendOfferLocked() error {
	for id, senders := range p.sent {
		if s, ok := p.want[id]; ok && !s.isClosed() {
			continue
		}
		for _, snd := range senders {
			// Its transceiver stays, inactive: reusing it for somebody else would show the
			// newcomer under the track id of the one who left.
			if err := p.pc.RemoveTrack(snd); err != nil {
				return err
			}
		}
		delete(p.sent, id)
	}
	for _, id := range slices.Sorted(maps.Keys(p.want)) {
		s := p.want[id]
		if s.isClosed() {
			continue
		}
		sent := p.sent[id]
		if sent == nil {
			sent = map[*webrtc.TrackLocalStaticRTP]*webrtc.RTPSender{}
			p.sent[id] = sent
		}
		added := false
		for _, t := range s.localTracks() {
			if sent[t] != nil {
				continue
			}
			kind := "ARDAMSa"
			if t.Kind() == webrtc.RTPCodecTypeVideo {
				kind = "ARDAMSv"
			}
			tr, err := p.pc.AddTransceiverFromTrack(renamedTrack{t, kind + id, p.msid},
				webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
			if err != nil {
				return err
			}
			snd := tr.Sender()
			sent[t] = snd
			added = true
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				relayKeyframeRequests(snd, s)
			}()
		}
		if added {
			p.fresh = append(p.fresh, s)
		}
	}
	offer, err := p.pc.CreateOffer(nil)
	if err != nil {
		return err
	}
	gathered := webrtc.GatheringCompletePromise(p.pc)
	if err := p.pc.SetLocalDescription(offer); err != nil {
		return err
	}
	// The first offer carries every candidate of this side, as the WHIP answers do.
	select {
	case <-gathered:
	case <-p.done:
		return ErrClosed
	}
	mapping := map[string]string{}
	for _, t := range p.pc.GetTransceivers() {
		if snd := t.Sender(); snd != nil && snd.Track() != nil && t.Mid() != "" {
			mapping[t.Mid()] = snd.Track().ID()
		}
	}
	p.awaiting = true
	p.deadline = time.AfterFunc(answerTimeout, func() {
		p.hub.log.Info().Str("streamId", p.msid).Err(ErrNoAnswer).Msg("player ended")
		p.Close()
	})
	p.offer(p.pc.LocalDescription().SDP, mapping)
	return nil
}

// renamedTrack is a stream's track under the name a player gives it on its connection; the
// packets are the stream's own.
type renamedTrack struct {
	*webrtc.TrackLocalStaticRTP
	id, streamID string
}

func (t renamedTrack) ID() string       { return t.id }
func (t renamedTrack) StreamID() string { return t.streamID }

func (s *Stream) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}
