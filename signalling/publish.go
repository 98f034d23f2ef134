package signalling

import (
	"sync"
	"time"
	"unicode/utf8"

	"github.com/pion/webrtc/v4"

	"mediapush/rooms"
)

// publishTimeout ends a publish whose offer does not come.
const publishTimeout = 20 * time.Second

// maxMetaData bounds a stream's metaData.
const maxMetaData = 4 << 10

// publication is a connection's publish, from the publish command until the stream ends.
type publication struct {
	conn             *conn
	id, room, name   string
	timer            *time.Timer
	mu               sync.Mutex
	session          string                    // the hub's publication, once the offer is answered
	answered, shown  bool                      // answer sent; publish_started sent
	live, done, gone bool                      // the hub announced it; it ended; publish_finished sent
	early            []webrtc.ICECandidateInit // candidates that came before the answer
}

// maxEarlyCandidates bounds the candidates kept for a publication whose offer is not answered
// yet; a browser gathers a handful.
const maxEarlyCandidates = 32

// publish begins a publication: the server asks the client for its offer with start.
func (c *conn) publish(req request) error {
	id, room := req.StreamID, req.room()
	if err := c.srv.cfg.Backend.CheckPublishID(id); err != nil {
		return refuse(defInvalidStreamID, "%v", err)
	}
	if room != "" {
		if err := c.checkID("mainTrack", room); err != nil {
			return err
		}
	}
	if err := c.srv.cfg.Backend.CheckName(req.StreamName); err != nil {
		return refuse(defInvalidName, "streamName: %v", err)
	}
	meta := req.metaData()
	if len(meta) > maxMetaData || !utf8.ValidString(meta) {
		return refuse(defInvalidMetaData, "metaData must be UTF-8 text of at most %d bytes", maxMetaData)
	}
	if err := c.authorize(req.Token, rooms.Publish, id, room); err != nil {
		return err
	}
	name := req.StreamName
	if name == "" {
		name = id
	}
	pub := &publication{conn: c, id: id, room: room, name: name}
	c.mu.Lock()
	if c.pub != nil {
		c.mu.Unlock()
		return notYours("this connection publishes %s already: stop it first", c.pub.id)
	}
	c.srv.mu.Lock()
	_, taken := c.srv.publications[id]
	_, live := c.srv.hub.Stream(id)
	if !taken && !live {
		c.srv.publications[id] = pub
		c.srv.meta[id] = meta
	}
	c.srv.mu.Unlock()
	if taken || live {
		c.mu.Unlock()
		return refuse(defStreamInUse, "stream %s is being published already", id)
	}
	c.pub = pub
	c.mu.Unlock()
	pub.timer = time.AfterFunc(publishTimeout, func() {
		pub.mu.Lock()
		waiting := pub.session == "" && !pub.done
		pub.mu.Unlock()
		if waiting {
			c.fail(id, refuse(defPublishTimeout, "no offer came within %s", publishTimeout))
			pub.end("no offer came")
		}
	})
	c.send(startMessage{Command: "start", StreamID: id})
	return nil
}

// answerPublish answers the publisher's offer through the conference server.
func (c *conn) answerPublish(pub *publication, sdp string) error {
	pub.mu.Lock()
	if pub.session != "" || pub.done {
		pub.mu.Unlock()
		return notYours("stream %s has its offer answered already", pub.id)
	}
	pub.mu.Unlock()
	answer, session, err := c.srv.hub.Publish(pub.id, rooms.PublishOptions{Room: pub.room, Name: pub.name,
		OnDataChannel: func(dc *webrtc.DataChannel) { c.srv.relayFrom(pub, dc) }}, sdp)
	if err != nil {
		pub.end("the offer was refused")
		return err
	}
	pub.timer.Stop()
	pub.mu.Lock()
	pub.session = session
	ended := pub.done
	early := pub.early
	pub.early = nil
	pub.mu.Unlock()
	for _, cand := range early {
		if err := c.srv.hub.AddCandidate(pub.id, session, cand); err != nil {
			c.srv.log.Debug().Err(err).Str("streamId", pub.id).Msg("candidate dropped")
		}
	}
	if ended { // the connection closed meanwhile
		c.srv.hub.Unpublish(pub.id, session) //nolint:errcheck // it may have ended by itself
		return nil
	}
	c.send(configurationMessage{Command: "takeConfiguration", StreamID: pub.id, Type: "answer", SDP: answer})
	pub.mu.Lock()
	pub.answered = true
	pub.mu.Unlock()
	pub.showStarted()
	c.srv.log.Info().Str("streamId", pub.id).Str("room", pub.room).Msg("SDK publisher answered")
	return nil
}

// announced is the hub's word that the stream started: its tracks are relayed.
func (p *publication) announced() {
	p.mu.Lock()
	p.live = true
	p.mu.Unlock()
	p.showStarted()
}

// showStarted sends publish_started once both the answer went out and the stream is live.
func (p *publication) showStarted() {
	p.mu.Lock()
	show := p.answered && p.live && !p.shown && !p.done
	if show {
		p.shown = true
	}
	p.mu.Unlock()
	if show {
		p.conn.send(notify("publish_started", p.id))
	}
}

// finished is the hub's word that the stream ended.
func (p *publication) finished() { p.end("") }

// end ends the publication, if it has not ended, and tells the client.
func (p *publication) end(reason string) {
	p.mu.Lock()
	if p.gone {
		p.mu.Unlock()
		return
	}
	p.done, p.gone = true, true
	session := p.session
	p.mu.Unlock()
	if p.timer != nil {
		p.timer.Stop()
	}
	c := p.conn
	c.mu.Lock()
	if c.pub == p {
		c.pub = nil
	}
	c.mu.Unlock()
	c.srv.mu.Lock()
	if c.srv.publications[p.id] == p {
		delete(c.srv.publications, p.id)
	}
	delete(c.srv.meta, p.id)
	c.srv.mu.Unlock()
	if session == "" {
		return // it never started: the error that ended it is the client's word
	}
	if reason != "" {
		c.srv.hub.Unpublish(p.id, session) //nolint:errcheck // it may have ended by itself
	}
	c.send(notify("publish_finished", p.id))
}
