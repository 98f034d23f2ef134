package signalling

import (
	"strings"
	"sync"

	"github.com/pion/webrtc/v4"

	"mediapush/rooms"
)

// maxTrackList bounds a play's trackList.
const maxTrackList = 256

// play is a connection's play of a stream, or of a room: every participant but those excluded.
type play struct {
	conn    *conn
	target  string
	room    bool
	exclude map[string]bool // "!id" entries of the trackList, and the player's own stream
	player  *rooms.Player

	mu      sync.Mutex
	started bool
	once    sync.Once
}

// concerns reports whether a change of stream info changes what p plays.
func (p *play) concerns(info rooms.StreamInfo) bool {
	if p.room {
		return info.Room == p.target && !p.exclude[info.ID]
	}
	return info.ID == p.target
}

// play begins a play: the server offers the stream, or the room's streams, and renegotiates
// as participants come and go.
func (c *conn) play(req request) error {
	id := req.StreamID
	if err := c.checkID("streamId", id); err != nil {
		return err
	}
	if r := req.room(); r != "" {
		if err := c.checkID("room", r); err != nil {
			return err
		}
	}
	if len(req.TrackList) > maxTrackList {
		return refuse(defInvalidMessage, "trackList has more than %d entries", maxTrackList)
	}
	exclude := map[string]bool{}
	for _, t := range req.TrackList {
		if ex, ok := strings.CutPrefix(t, "!"); ok {
			if err := c.checkID("trackList", ex); err != nil {
				return err
			}
			exclude[ex] = true
		}
	}
	p := &play{conn: c, target: id, exclude: exclude}
	room := ""
	if s, ok := c.srv.hub.Stream(id); ok {
		room = s.Info().Room
	} else {
		p.room, room = true, id
		c.mu.Lock()
		joined := c.joined[id]
		c.mu.Unlock()
		if len(c.srv.hub.Participants(id)) == 0 && !joined && req.room() != id {
			return refuse(defNoStream, "stream %s is not live, nor is anybody in a room %s", id, id)
		}
	}
	if err := c.authorize(req.Token, rooms.Play, id, room); err != nil {
		return err
	}
	c.mu.Lock()
	switch {
	case c.plays[id] != nil:
		c.mu.Unlock()
		return notYours("this connection plays %s already: stop it first", id)
	case len(c.plays) >= c.srv.cfg.MaxPlays:
		c.mu.Unlock()
		return refuse(defLimitReached, "a connection plays %d streams at most", c.srv.cfg.MaxPlays)
	}
	if c.pub != nil {
		p.exclude[c.pub.id] = true // a participant does not play itself
	}
	c.plays[id] = p
	c.mu.Unlock()
	if err := c.srv.admitViewer(id); err != nil {
		p.finish(false)
		return err
	}

	player, err := c.srv.hub.NewPlayer(rooms.PlayerOptions{StreamID: id,
		Offer: func(sdp string, idMapping map[string]string) {
			c.send(configurationMessage{Command: "takeConfiguration", StreamID: id, Type: "offer", SDP: sdp, IDMapping: idMapping})
		},
		OnClose: p.end})
	if err != nil {
		p.finish(false)
		return err
	}
	c.mu.Lock()
	p.player = player
	c.mu.Unlock()
	// Registered before the room is read, so that nobody joining meanwhile is missed.
	c.srv.mu.Lock()
	c.srv.plays[p] = struct{}{}
	c.srv.mu.Unlock()
	if p.room {
		for _, in := range c.srv.hub.Participants(id) {
			if !p.exclude[in.ID] {
				player.Add(in.ID)
			}
		}
	} else if !player.Add(id) {
		p.finish(false)
		return refuse(defNoStream, "stream %s has just ended", id)
	}
	player.Start()
	c.srv.log.Info().Str("streamId", id).Bool("room", p.room).Msg("SDK player offered")
	return nil
}

// admitViewer refuses a play of a stream or room that has as many SDK players as allowed.
func (s *Server) admitViewer(target string) error {
	if s.cfg.MaxViewers < 0 {
		return nil
	}
	s.mu.Lock()
	n := 0
	for q := range s.plays {
		if q.target == target {
			n++
		}
	}
	s.mu.Unlock()
	if n >= s.cfg.MaxViewers {
		return refuse(defLimitReached, "%s has as many players as allowed (%d)", target, s.cfg.MaxViewers)
	}
	return nil
}

// answered takes the client's answer; the first one starts the play.
func (p *play) answered(sdp string) error {
	if err := p.player.Answer(sdp); err != nil {
		return err
	}
	p.mu.Lock()
	first := !p.started
	p.started = true
	p.mu.Unlock()
	if first {
		p.conn.send(notify("play_started", p.target))
	}
	return nil
}

// end ends the play and tells the client. Calling it again does nothing.
func (p *play) end() { p.finish(true) }

// finish ends the play; a play refused before it began ends without play_finished.
func (p *play) finish(tell bool) {
	p.once.Do(func() {
		c := p.conn
		c.mu.Lock()
		if c.plays[p.target] == p {
			delete(c.plays, p.target)
		}
		player := p.player
		c.mu.Unlock()
		c.srv.mu.Lock()
		delete(c.srv.plays, p)
		c.srv.mu.Unlock()
		if player != nil {
			go player.Close() // from the player's own callback too: Close waits for it
		}
		if tell {
			c.send(notify("play_finished", p.target))
		}
	})
}

// takeConfiguration takes a publisher's offer or a player's answer.
func (c *conn) takeConfiguration(req request) error {
	c.mu.Lock()
	pub, p := c.pub, c.plays[req.StreamID]
	playing := p != nil && p.player != nil
	c.mu.Unlock()
	switch {
	case req.Type == "offer" && pub != nil && pub.id == req.StreamID:
		return c.answerPublish(pub, req.SDP)
	case req.Type == "answer" && playing:
		return p.answered(req.SDP)
	case req.Type != "offer" && req.Type != "answer":
		return refuse(defInvalidSDP, "type must be offer or answer, not %q", truncate(req.Type, 32))
	}
	return notYours("no %s awaits a %s for stream %s on this connection", map[string]string{
		"offer": "publish", "answer": "play"}[req.Type], req.Type, req.StreamID)
}

// takeCandidate gives a publication or a play a candidate of the client. A candidate that
// cannot be used is dropped: the client's checks reach this side's candidates anyway.
func (c *conn) takeCandidate(req request) error {
	cand := webrtc.ICECandidateInit{Candidate: req.Candidate, SDPMLineIndex: req.Label, SDPMid: req.ID}
	c.mu.Lock()
	pub, p := c.pub, c.plays[req.StreamID]
	playing := p != nil && p.player != nil
	c.mu.Unlock()
	var err error
	switch {
	case pub != nil && pub.id == req.StreamID:
		// A candidate may come before the offer (a client may send them as it gathers): it
		// waits for the answer.
		pub.mu.Lock()
		session := pub.session
		if session == "" && len(pub.early) < maxEarlyCandidates {
			pub.early = append(pub.early, cand)
		}
		pub.mu.Unlock()
		if session == "" {
			return nil
		}
		err = c.srv.hub.AddCandidate(pub.id, session, cand)
	case playing:
		err = p.player.AddCandidate(cand)
	default:
		return notYours("no publish or play of %s on this connection", req.StreamID)
	}
	if err != nil {
		c.srv.log.Debug().Err(err).Str("streamId", req.StreamID).Msg("candidate dropped")
	}
	return nil
}

// stopStream ends the connection's publication or play of id; nothing else.
func (c *conn) stopStream(id string) {
	c.mu.Lock()
	pub, p := c.pub, c.plays[id]
	c.mu.Unlock()
	if pub != nil && pub.id == id {
		pub.end("the publisher stopped")
	}
	if p != nil {
		p.end()
	}
}
