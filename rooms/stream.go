package rooms

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// Kind says where a stream comes from.
type Kind string

// Stream kinds.
const (
	KindWHIP      Kind = "whip"      // a participant publishing with WHIP
	KindMediaPush Kind = "mediapush" // a media-push session's captured page
)

// StreamInfo describes a live stream.
type StreamInfo struct {
	ID   string
	Kind Kind
	// Room is the room the stream takes part in; empty for a stream on its own.
	Room string
	// Name is the participant's display name.
	Name string
	// ScreenShare marks a shared screen; Presenter is the stream id of the sharer's camera.
	ScreenShare bool
	Presenter   string
	// Video and Audio are the codecs sent, empty when the stream has no such track.
	Video, Audio string
	Since        time.Time
	Viewers      int
}

// keyframeMinInterval limits how often viewers may make a publisher send a keyframe: each
// one costs the publisher's encoder and the room's bandwidth.
const keyframeMinInterval = 500 * time.Millisecond

// Stream is one live stream and its viewers.
type Stream struct {
	hub        *Hub
	keyframe   func()
	lastPacket atomic.Int64 // unix nanoseconds
	// published: the stream comes from a WHIP publisher (a participant, or a worker node's
	// session relayed to the controller), not from this process.
	published bool

	mu        sync.Mutex
	info      StreamInfo
	tracks    []*webrtc.TrackLocalStaticRTP
	viewers   map[*viewer]struct{}
	lastKeyRq time.Time
	session   string // a WHIP publication's id, the capability to end it
	// addCandidate gives the publisher's connection a remote ICE candidate (trickle ICE).
	addCandidate func(webrtc.ICECandidateInit) error
	// remoteDescription is the publisher's offer, for its ICE credentials.
	remoteDescription func() *webrtc.SessionDescription
	onClose           func()
	closed            bool
	announced         bool // watchers were told it started, or are being told
	// announcing is true while watchers hear of the start; an end meanwhile is told after it
	// (stopPending), so that no watcher hears of the end first.
	announcing, stopPending bool
	ready                   chan struct{} // closed once announced: its tracks are all known
	done                    chan struct{}

	// taps receive the audio packets, videoTaps the video packets; copied on change, read
	// without a lock per packet.
	taps, videoTaps atomic.Pointer[map[int]func(*rtp.Packet)]
	nextTap         int
}

// Info is a snapshot of the stream's description.
func (s *Stream) Info() StreamInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	info := s.info
	info.Viewers = len(s.viewers)
	return info
}

// LastPacket is when the stream last relayed a packet (or began, before its first).
func (s *Stream) LastPacket() time.Time { return time.Unix(0, s.lastPacket.Load()) }

// Done is closed when the stream has ended.
func (s *Stream) Done() <-chan struct{} { return s.done }

// Forwarder relays one track's RTP packets to every viewer of the stream.
type Forwarder struct {
	s     *Stream
	track *webrtc.TrackLocalStaticRTP
	audio bool
}

// AddTrack adds a track of the given codec to the stream. Viewers that join later get it;
// the stream's media must carry at most one video and one audio track.
func (s *Stream) AddTrack(c webrtc.RTPCodecCapability) (*Forwarder, error) {
	kind := "audio"
	if c.ClockRate == 90000 {
		kind = "video"
	}
	track, err := webrtc.NewTrackLocalStaticRTP(c, kind, s.info.ID)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tracks = append(s.tracks, track)
	if kind == "video" {
		s.info.Video = codecName(c.MimeType)
	} else {
		s.info.Audio = codecName(c.MimeType)
	}
	return &Forwarder{s: s, track: track, audio: kind == "audio"}, nil
}

// WriteRTP relays one packet. Header extensions are dropped: their ids were negotiated with
// the publisher, not with the viewers.
func (f *Forwarder) WriteRTP(p *rtp.Packet) {
	f.s.lastPacket.Store(time.Now().UnixNano())
	taps := &f.s.videoTaps
	if f.audio {
		taps = &f.s.taps
	}
	for _, tap := range loadTaps(taps) {
		tap(p)
	}
	h := p.Header
	h.Extension, h.Extensions, h.ExtensionProfile = false, nil, 0
	f.track.WriteRTP(&rtp.Packet{Header: h, Payload: p.Payload}) //nolint:errcheck // a viewer that left is dropped by its own state
}

// RequestKeyframe asks the source for a keyframe, at most once per keyframeMinInterval.
func (s *Stream) RequestKeyframe() {
	s.mu.Lock()
	if s.keyframe == nil || time.Since(s.lastKeyRq) < keyframeMinInterval {
		s.mu.Unlock()
		return
	}
	s.lastKeyRq = time.Now()
	ask := s.keyframe
	s.mu.Unlock()
	ask()
}

func (s *Stream) localTracks() []*webrtc.TrackLocalStaticRTP {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*webrtc.TrackLocalStaticRTP(nil), s.tracks...)
}

// announce tells the hub's watchers that the stream started, once: its tracks are complete
// from now on. A stream closed already is not announced.
func (s *Stream) announce() {
	s.mu.Lock()
	if s.closed || s.announced {
		s.mu.Unlock()
		return
	}
	s.announced, s.announcing = true, true
	close(s.ready)
	s.mu.Unlock()
	s.hub.notify(s.Info(), true)
	s.mu.Lock()
	s.announcing = false
	stop := s.stopPending
	s.mu.Unlock()
	if stop {
		s.hub.notify(s.Info(), false)
	}
}

// isAnnounced reports whether watchers were told the stream started.
func (s *Stream) isAnnounced() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.announced
}

// addViewer adds v unless the stream has ended (ErrNotFound) or has as many viewers as it takes
// (ErrFull).
func (s *Stream) addViewer(v *viewer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("stream %s has just ended: %w", s.info.ID, ErrNotFound)
	}
	if err := admitViewer(s.info.ID, len(s.viewers), s.hub.cfg.MaxViewers); err != nil {
		return err
	}
	s.viewers[v] = struct{}{}
	return nil
}

// viewerCount is how many viewers play the stream.
func (s *Stream) viewerCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.viewers)
}

func (s *Stream) removeViewer(v *viewer) {
	s.mu.Lock()
	delete(s.viewers, v)
	s.mu.Unlock()
}

func (s *Stream) viewer(id string) *viewer {
	s.mu.Lock()
	defer s.mu.Unlock()
	for v := range s.viewers {
		if v.id == id {
			return v
		}
	}
	return nil
}

// Close ends the stream: its publisher and every viewer. Calling it again does nothing.
func (s *Stream) Close(reason string) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	viewers := make([]*viewer, 0, len(s.viewers))
	for v := range s.viewers {
		viewers = append(viewers, v)
	}
	onClose, announced := s.onClose, s.announced && !s.announcing
	s.stopPending = s.announcing
	s.mu.Unlock()
	s.hub.forget(s)
	if onClose != nil {
		onClose()
	}
	for _, v := range viewers {
		v.close()
	}
	close(s.done)
	if announced {
		s.hub.notify(s.Info(), false)
	}
	s.hub.log.Info().Str("streamId", s.info.ID).Str("room", s.info.Room).Str("reason", reason).Msg("stream ended")
}
