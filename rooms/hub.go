// Package rooms is mediapush's own conference server. Publishers send a stream with WHIP,
// viewers play it with WHEP, and a publisher that names a room (Ant Media's mainTrack) is one
// of its participants. Packets are relayed as they arrive, never decoded: a layout page plays
// every participant of a room, and recording that page records the room.
package rooms

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/rs/zerolog"
)

// Config configures a Hub. The zero value works on one machine and its LAN.
type Config struct {
	// PublicIPs are announced as ICE candidates instead of the interfaces' own addresses, for a
	// node behind a one-to-one NAT.
	PublicIPs []string
	// NoMediaTimeout drops a publisher that has sent nothing for this long. Default 5 s.
	NoMediaTimeout time.Duration
	// TokenSecret, when set, closes publishing and playing to those holding a token signed with
	// it (an HS256 JWT, as Ant Media's stream security issues them).
	TokenSecret []byte
	// MaxPublishers is the most streams in one room; one more is refused with ErrFull.
	// Default DefaultMaxPublishers; negative: no limit.
	MaxPublishers int
	// MaxViewers is the most WHEP viewers of one stream; one more is refused with ErrFull.
	// Default DefaultMaxViewers; negative: no limit.
	MaxViewers int
	// Dial connects WHIP pushes to their servers; the node's destination policy. Default: a
	// plain net.Dialer.
	Dial func(ctx context.Context, network, address string) (net.Conn, error)
	Log  zerolog.Logger
}

// Defaults of the limits: every publisher of a room is relayed to every viewer of the room's
// layout page, so a room's cost grows with publishers × viewers.
const (
	DefaultMaxPublishers = 50
	DefaultMaxViewers    = 100
)

// DefaultNoMediaTimeout is how long a publisher may send nothing before it is dropped.
const DefaultNoMediaTimeout = 5 * time.Second

// Errors a caller can tell apart.
var (
	ErrExists       = errors.New("exists already")
	ErrNotFound     = errors.New("not found")
	ErrBadOffer     = errors.New("bad SDP offer")
	ErrCodec        = errors.New("unsupported codec")
	ErrUnauthorized = errors.New("unauthorized")
	ErrClosed       = errors.New("the conference server is shutting down")
	ErrFull         = errors.New("full: a limit is reached")
	ErrBadFragment  = errors.New("bad trickle ICE fragment")
	ErrICERestart   = errors.New("ICE restarts are not supported")
)

// Hub holds a node's live streams, their viewers and the rooms they form.
type Hub struct {
	cfg Config
	api *webrtc.API
	log zerolog.Logger

	mu       sync.Mutex
	streams  map[string]*Stream
	watchers []Watcher
	closed   bool
	wg       sync.WaitGroup
	stop     chan struct{}
}

// New starts a hub.
func New(cfg Config) (*Hub, error) {
	if cfg.NoMediaTimeout == 0 {
		cfg.NoMediaTimeout = DefaultNoMediaTimeout
	}
	if cfg.MaxPublishers == 0 {
		cfg.MaxPublishers = DefaultMaxPublishers
	}
	if cfg.MaxViewers == 0 {
		cfg.MaxViewers = DefaultMaxViewers
	}
	api, err := newAPI(cfg.PublicIPs)
	if err != nil {
		return nil, fmt.Errorf("rooms: %w", err)
	}
	h := &Hub{cfg: cfg, api: api, log: cfg.Log, streams: map[string]*Stream{}, stop: make(chan struct{})}
	h.wg.Add(1)
	go h.watch()
	return h, nil
}

// Add registers a stream. Its media comes through the forwarders of Stream.AddTrack;
// keyframe, when set, asks its source for a keyframe (a new viewer needs one to start).
func (h *Hub) Add(info StreamInfo, keyframe func()) (*Stream, error) {
	return h.add(info, keyframe, false)
}

// add registers a stream; published says it comes from a WHIP publisher, whose tracks are
// known from its first packets, and whose media may stop without a goodbye.
func (h *Hub) add(info StreamInfo, keyframe func(), published bool) (*Stream, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.closed:
		return nil, ErrClosed
	case h.streams[info.ID] != nil:
		return nil, fmt.Errorf("stream %s is being published already: %w", info.ID, ErrExists)
	case h.roomLocked(info.ID):
		return nil, fmt.Errorf("%s is a room: %w", info.ID, ErrExists)
	case info.Room != "" && h.streams[info.Room] != nil:
		return nil, fmt.Errorf("room %s cannot be joined: it is the id of a stream: %w", info.Room, ErrExists)
	}
	if info.Room != "" {
		if err := admitPublisher(info.Room, h.inRoomLocked(info.Room), h.cfg.MaxPublishers); err != nil {
			return nil, err
		}
	}
	info.Since = time.Now()
	s := &Stream{hub: h, info: info, keyframe: keyframe, published: published, viewers: map[*viewer]struct{}{},
		ready: make(chan struct{}), done: make(chan struct{})}
	if !published {
		// Its tracks are added by the caller before any viewer can come.
		close(s.ready)
	}
	s.lastPacket.Store(info.Since.UnixNano())
	h.streams[info.ID] = s
	h.log.Info().Str("streamId", info.ID).Str("room", info.Room).Str("kind", string(info.Kind)).Msg("stream added")
	return s, nil
}

func (h *Hub) forget(s *Stream) {
	h.mu.Lock()
	if h.streams[s.info.ID] == s {
		delete(h.streams, s.info.ID)
	}
	h.mu.Unlock()
}

// Stream returns a live stream.
func (h *Hub) Stream(id string) (*Stream, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s, ok := h.streams[id]
	return s, ok
}

// Participants lists a room's streams in the order they joined; empty when nobody is in it.
// A WHIP publisher counts once its tracks are known: each kind it offered has started, or the
// first started a moment ago (announceWait).
func (h *Hub) Participants(room string) []StreamInfo {
	h.mu.Lock()
	var in []*Stream
	for _, s := range h.streams {
		if s.info.Room == room {
			in = append(in, s)
		}
	}
	h.mu.Unlock()
	out := make([]StreamInfo, 0, len(in))
	for _, s := range in {
		if !s.published || s.isAnnounced() {
			out = append(out, s.Info())
		}
	}
	slices.SortFunc(out, func(a, b StreamInfo) int {
		if c := a.Since.Compare(b.Since); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out
}

// inRoomLocked counts a room's streams, publishers still negotiating included.
func (h *Hub) inRoomLocked(room string) int {
	n := 0
	for _, s := range h.streams {
		if s.info.Room == room {
			n++
		}
	}
	return n
}

func (h *Hub) roomLocked(room string) bool {
	for _, s := range h.streams {
		if s.info.Room == room {
			return true
		}
	}
	return false
}

// watch drops publishers whose media stopped: a browser tab closed without a DELETE (or a
// worker node lost) keeps its ICE session alive for half a minute.
func (h *Hub) watch() {
	defer h.wg.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-t.C:
		}
		h.mu.Lock()
		var silent []*Stream
		for _, s := range h.streams {
			if s.published && time.Since(s.LastPacket()) > h.cfg.NoMediaTimeout {
				silent = append(silent, s)
			}
		}
		h.mu.Unlock()
		for _, s := range silent {
			s.Close(fmt.Sprintf("no media for %s", h.cfg.NoMediaTimeout))
		}
	}
}

// Close ends every stream and viewer.
func (h *Hub) Close() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	all := make([]*Stream, 0, len(h.streams))
	for _, s := range h.streams {
		all = append(all, s)
	}
	h.mu.Unlock()
	close(h.stop)
	for _, s := range all {
		s.Close("the server is shutting down")
	}
	h.wg.Wait()
}
