// Package signalling serves Ant Media's WebSocket signalling (/{app}/websocket), the protocol
// of its JS SDK (@antmedia/webrtc_adaptor) and of the pages built on it: publish, play, rooms
// and data channels. The media goes through the conference server (package rooms), so SDK
// participants and WHIP participants share rooms, viewers and layouts.
package signalling

import (
	"context"
	"errors"
	"net/http"
	"sync"

	"github.com/coder/websocket"
	"github.com/rs/zerolog"

	"mediapush/rooms"
)

// Backend is what the signalling needs of the rest of the service: its id and name rules and
// its Broadcast objects.
type Backend interface {
	// CheckID checks a stream or room id that is read or played.
	CheckID(id string) error
	// CheckPublishID checks the id of a stream about to be published: CheckID, and not one of
	// the ids the service keeps for its own sessions.
	CheckPublishID(id string) error
	// CheckName checks a display name.
	CheckName(name string) error
	// NewStreamID makes a stream id for a participant that joins a room without one.
	NewStreamID() string
	// Broadcast is the Broadcast JSON of a stream or a room, as the REST API shows it, or an
	// error wrapping rooms.ErrNotFound.
	Broadcast(ctx context.Context, id string) ([]byte, error)
}

// Config configures a Server.
type Config struct {
	Hub     *rooms.Hub
	Backend Backend
	// OriginPatterns are the hosts (path.Match patterns, as in websocket.AcceptOptions) of
	// pages on other origins that may connect; pages of this server's own origin always may.
	OriginPatterns []string
	// ReadLimit bounds one message; a larger one is refused. Default DefaultReadLimit.
	ReadLimit int64
	// MaxPlays is the most plays one connection holds at once. Default DefaultMaxPlays.
	MaxPlays int
	// MaxViewers is the most SDK plays of one stream or room, as the hub's MaxViewers bounds
	// its WHEP viewers. Default rooms.DefaultMaxViewers; negative: no limit.
	MaxViewers int
	// OnNotice, when set, hears of the participants' notices (microphone muted, camera off).
	// It runs on the data channel's goroutine and must not block.
	OnNotice func(Notice)
	Log      zerolog.Logger
}

// Defaults of the per-connection limits. An SDP offer of a room with many participants is
// tens of kilobytes; a page plays its room, and perhaps a few streams besides.
const (
	DefaultReadLimit = 256 << 10
	DefaultMaxPlays  = 8
)

// A message past ReadLimit × hardReadLimitFactor closes the connection; one between ReadLimit
// and that is read, dropped and answered with an error.
const hardReadLimitFactor = 4

// Server serves the signalling WebSocket.
type Server struct {
	cfg Config
	hub *rooms.Hub
	log zerolog.Logger

	mu           sync.Mutex
	conns        map[*conn]struct{}
	publications map[string]*publication // by stream id, from publish until the stream ends
	plays        map[*play]struct{}
	meta         map[string]string // metaData of the SDK's streams, by stream id
	closed       bool
	wg           sync.WaitGroup
}

// New makes a Server. It follows the hub's streams for as long as the hub lives.
func New(cfg Config) *Server {
	if cfg.ReadLimit <= 0 {
		cfg.ReadLimit = DefaultReadLimit
	}
	if cfg.MaxPlays <= 0 {
		cfg.MaxPlays = DefaultMaxPlays
	}
	if cfg.MaxViewers == 0 {
		cfg.MaxViewers = rooms.DefaultMaxViewers
	}
	s := &Server{cfg: cfg, hub: cfg.Hub, log: cfg.Log, conns: map[*conn]struct{}{},
		publications: map[string]*publication{}, plays: map[*play]struct{}{}, meta: map[string]string{}}
	cfg.Hub.Watch(s.onStream)
	return s
}

// ServeHTTP upgrades a request to the signalling WebSocket and serves it until it closes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{OriginPatterns: s.cfg.OriginPatterns})
	if err != nil {
		return // Accept has answered
	}
	ws.SetReadLimit(s.cfg.ReadLimit * hardReadLimitFactor)
	c := newConn(s, ws)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ws.Close(websocket.StatusGoingAway, "the server is shutting down") //nolint:errcheck // closing
		return
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()
	c.serve(r.Context())
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// Close ends every connection, and with them their publications and plays.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.stop()
	}
	s.wg.Wait()
}

// onStream follows the hub's streams: rooms' players get and lose participants, and the
// SDK's publishers hear that their stream started or ended.
func (s *Server) onStream(info rooms.StreamInfo, started bool) {
	s.mu.Lock()
	pub := s.publications[info.ID]
	var affected []*play
	for p := range s.plays {
		// A participant does not play itself, even one that began playing before publishing.
		if p.concerns(info) && (pub == nil || p.conn != pub.conn) {
			affected = append(affected, p)
		}
	}
	if !started && pub != nil {
		delete(s.publications, info.ID)
	}
	s.mu.Unlock()
	if pub != nil {
		if started {
			pub.announced()
		} else {
			pub.finished()
		}
	}
	for _, p := range affected {
		switch {
		case !p.room && !started:
			go p.end() // the stream played has ended
		case p.room && started:
			p.player.Add(info.ID)
		case p.room:
			p.player.Remove(info.ID)
		}
	}
}

// NotifyBroadcastChanged sends the Broadcast of stream or room id, as it is now, to every
// connection that joined, publishes in or plays it (Circle reads isRecording there).
func (s *Server) NotifyBroadcastChanged(id string) {
	b, err := s.cfg.Backend.Broadcast(context.Background(), id)
	if err != nil {
		if !errors.Is(err, rooms.ErrNotFound) {
			s.log.Warn().Err(err).Str("streamId", id).Msg("broadcast of a changed stream")
		}
		return
	}
	msg := broadcastNotification{notification: notify("broadcastObject", id), Broadcast: string(s.withMeta(id, b))}
	s.mu.Lock()
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		if c.follows(id) {
			c.send(msg)
		}
	}
}
