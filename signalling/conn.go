package signalling

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// outQueue is how many messages wait for a slow client before it is dropped.
const outQueue = 256

// writeTimeout drops a client that does not take a message in this time.
const writeTimeout = 10 * time.Second

// conn is one client's WebSocket and what it holds: at most one publication, some plays, the
// rooms it joined.
type conn struct {
	srv    *Server
	ws     *websocket.Conn
	ctx    context.Context
	cancel context.CancelFunc
	out    chan []byte

	mu         sync.Mutex
	pub        *publication
	plays      map[string]*play // by the id played
	joined     map[string]bool  // rooms joined with joinRoom
	authorized map[string]bool  // streams and rooms a token was shown for (always true without tokens)
}

func newConn(s *Server, ws *websocket.Conn) *conn {
	ctx, cancel := context.WithCancel(context.Background())
	return &conn{srv: s, ws: ws, ctx: ctx, cancel: cancel, out: make(chan []byte, outQueue),
		plays: map[string]*play{}, joined: map[string]bool{}, authorized: map[string]bool{}}
}

// serve reads and handles the client's commands, one after another, until the socket closes;
// then it ends everything the connection held.
func (c *conn) serve(reqCtx context.Context) {
	stopReq := context.AfterFunc(reqCtx, c.cancel)
	defer stopReq()
	var writer sync.WaitGroup
	writer.Add(1)
	go func() {
		defer writer.Done()
		c.write()
	}()
	for {
		msg, err := c.read()
		if err != nil {
			break
		}
		if msg != nil {
			c.handle(msg)
		}
	}
	c.cancel()
	writer.Wait()
	c.release()
	c.ws.CloseNow() //nolint:errcheck // closing
}

// read returns the next text message; nil (and no error) for one refused and answered.
func (c *conn) read() ([]byte, error) {
	typ, r, err := c.ws.Reader(c.ctx)
	if err != nil {
		return nil, err
	}
	limit := c.srv.cfg.ReadLimit
	msg, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(msg)) > limit {
		if _, err := io.Copy(io.Discard, r); err != nil {
			return nil, err
		}
		c.fail("", refuse(defInvalidMessage, "a message is larger than %d bytes", limit))
		return nil, nil
	}
	if typ != websocket.MessageText {
		c.fail("", refuse(defInvalidMessage, "commands are JSON text messages, not binary ones"))
		return nil, nil
	}
	return msg, nil
}

// write sends the queued messages until the connection ends.
func (c *conn) write() {
	for {
		select {
		case <-c.ctx.Done():
			c.ws.Close(websocket.StatusNormalClosure, "") //nolint:errcheck // closing
			return
		case msg := <-c.out:
			ctx, cancel := context.WithTimeout(c.ctx, writeTimeout)
			err := c.ws.Write(ctx, websocket.MessageText, msg)
			cancel()
			if err != nil {
				c.cancel()
				return
			}
		}
	}
}

// send queues a message; a client too slow to take its messages is dropped.
func (c *conn) send(v any) {
	msg, err := json.Marshal(v)
	if err != nil {
		c.srv.log.Error().Err(err).Msg("signalling message")
		return
	}
	select {
	case <-c.ctx.Done():
	case c.out <- msg:
	default:
		c.srv.log.Warn().Msg("signalling client too slow: dropped")
		c.cancel()
	}
}

// fail answers a refused command with an error the SDK reads.
func (c *conn) fail(streamID string, err error) {
	c.srv.log.Debug().Str("streamId", streamID).Err(err).Msg("signalling command refused")
	c.send(errorMessage{Command: "error", Definition: definitionOf(err), StreamID: streamID, Message: err.Error()})
}

func (c *conn) stop() { c.cancel() }

// handle runs one command.
func (c *conn) handle(msg []byte) {
	var req request
	d := json.NewDecoder(bytes.NewReader(msg))
	if err := d.Decode(&req); err != nil {
		c.fail("", refuse(defInvalidMessage, "the message is not a valid command: %v", err))
		return
	}
	if d.More() {
		c.fail("", refuse(defInvalidMessage, "the message holds more than one JSON value"))
		return
	}
	var err error
	switch req.Command {
	case "ping":
		c.send(pong{Command: "pong"})
	case "getIceServerConfig":
		// No STUN or TURN server is configured: the server's answers carry its own addresses.
		c.send(iceServerConfig{Command: "iceServerConfig"})
	case "publish":
		err = c.publish(req)
	case "takeConfiguration":
		err = c.takeConfiguration(req)
	case "takeCandidate":
		err = c.takeCandidate(req)
	case "play":
		err = c.play(req)
	case "stop":
		c.stopStream(req.StreamID)
	case "joinRoom":
		err = c.joinRoom(req)
	case "leaveFromRoom":
		err = c.leaveRoom(req)
	case "getRoomInfo":
		err = c.roomInfo(req)
	case "getBroadcastObject":
		err = c.broadcastObject(req)
	case "updateStreamMetaData":
		err = c.updateMetaData(req)
	case "getSubtracks":
		err = c.subtracks(req, false)
	case "getSubtracksCount":
		err = c.subtracks(req, true)
	case "toggleVideo", "toggleAudio":
		// A participant's camera or microphone state: the SDK's pages tell each other over
		// the data channel as well, which is relayed.
	case "":
		err = refuse(defInvalidMessage, "the message names no command")
	default:
		err = refuse(defUnknownCommand, "command %q is not supported by mediapush", truncate(req.Command, 64))
	}
	if err != nil {
		c.fail(req.StreamID, err)
	}
}

// release ends what the connection held: its publication leaves its room, its plays end.
func (c *conn) release() {
	c.mu.Lock()
	pub := c.pub
	plays := make([]*play, 0, len(c.plays))
	for _, p := range c.plays {
		plays = append(plays, p)
	}
	c.mu.Unlock()
	if pub != nil {
		pub.end("the publisher's signalling connection closed")
	}
	for _, p := range plays {
		p.end()
	}
}

// follows reports whether the connection joined, publishes in or plays stream or room id.
func (c *conn) follows(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.joined[id] || c.plays[id] != nil {
		return true
	}
	return c.pub != nil && (c.pub.id == id || c.pub.room == id)
}

// authorize checks token for kind on streamID in room, and remembers that the connection may
// read about them.
func (c *conn) authorize(token, kind, streamID, room string) error {
	if err := c.srv.hub.Authorize(token, kind, streamID, room); err != nil {
		return err
	}
	c.mu.Lock()
	c.authorized[streamID] = true
	if room != "" {
		c.authorized[room] = true
	}
	c.mu.Unlock()
	return nil
}

// mayRead reports whether the connection may read about stream or room id: always without
// tokens, else once it showed a token for it (or for its room).
func (c *conn) mayRead(id, room string) error {
	if !c.srv.hub.Secured() {
		return nil
	}
	c.mu.Lock()
	ok := c.authorized[id] || (room != "" && c.authorized[room])
	c.mu.Unlock()
	if !ok {
		return refuse(defUnauthorized, "%s: publish or play it with a token first", id)
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// checkID checks a stream or room id a command names.
func (c *conn) checkID(what, id string) error {
	if err := c.srv.cfg.Backend.CheckID(id); err != nil {
		return refuse(defInvalidStreamID, "%s: %v", what, err)
	}
	return nil
}

func notYours(format string, args ...any) error {
	return &sdkError{definition: defNotAllowed, message: fmt.Sprintf(format, args...)}
}
