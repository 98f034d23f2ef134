package signalling

import (
	"encoding/json"
	"unicode/utf8"
)

// maxSubtracks bounds one getSubtracks answer.
const maxSubtracks = 100

// broadcastObject sends the Broadcast of a stream or a room, as a JSON string.
func (c *conn) broadcastObject(req request) error {
	id := req.StreamID
	if err := c.checkID("streamId", id); err != nil {
		return err
	}
	if err := c.mayRead(id, c.srv.roomOf(id)); err != nil {
		return err
	}
	b, err := c.srv.cfg.Backend.Broadcast(c.ctx, id)
	if err != nil {
		return err
	}
	c.send(broadcastNotification{notification: notify("broadcastObject", id), Broadcast: string(c.srv.withMeta(id, b))})
	return nil
}

// updateMetaData sets the metaData of the connection's own stream, or tells the room's
// connections that its Broadcast changed (a room's metaData is the service's: whether it is
// being recorded). Either way, those following it get the Broadcast again.
func (c *conn) updateMetaData(req request) error {
	id := req.StreamID
	if err := c.checkID("streamId", id); err != nil {
		return err
	}
	meta := req.metaData()
	if len(meta) > maxMetaData || !utf8.ValidString(meta) {
		return refuse(defInvalidMetaData, "metaData must be UTF-8 text of at most %d bytes", maxMetaData)
	}
	c.mu.Lock()
	own := c.pub != nil && c.pub.id == id
	inRoom := c.joined[id] || (c.pub != nil && c.pub.room == id)
	c.mu.Unlock()
	switch {
	case own:
		c.srv.mu.Lock()
		c.srv.meta[id] = meta
		c.srv.mu.Unlock()
	case !inRoom:
		return notYours("metaData of %s: only its publisher, or a participant of the room, may update it", id)
	}
	c.srv.NotifyBroadcastChanged(id)
	return nil
}

// subtracks answers getSubtracks (the participants' Broadcasts) or getSubtracksCount.
func (c *conn) subtracks(req request, count bool) error {
	room := req.StreamID
	if err := c.checkID("streamId", room); err != nil {
		return err
	}
	if err := c.mayRead(room, room); err != nil {
		return err
	}
	parts := c.srv.hub.Participants(room)
	if count {
		c.send(subtrackCountNotification{notification: notify("subtrackCount", room), Count: len(parts)})
		return nil
	}
	offset, size := max(req.Offset, 0), req.Size
	if size <= 0 || size > maxSubtracks {
		size = maxSubtracks
	}
	list := []string{}
	for i := offset; i < len(parts) && len(list) < size; i++ {
		b, err := c.srv.cfg.Backend.Broadcast(c.ctx, parts[i].ID)
		if err != nil {
			continue // it has just left
		}
		list = append(list, string(c.srv.withMeta(parts[i].ID, b)))
	}
	c.send(subtrackListNotification{notification: notify("subtrackList", room), SubtrackList: list})
	return nil
}

// withMeta puts an SDK stream's own metaData into its Broadcast JSON.
func (s *Server) withMeta(id string, b []byte) []byte {
	s.mu.Lock()
	meta, ok := s.meta[id]
	s.mu.Unlock()
	if !ok {
		return b
	}
	var obj map[string]any
	if err := json.Unmarshal(b, &obj); err != nil {
		return b
	}
	obj["metaData"] = meta
	out, err := json.Marshal(obj)
	if err != nil {
		return b
	}
	return out
}

// roomOf is the room a live stream takes part in, or "".
func (s *Server) roomOf(id string) string {
	if st, ok := s.hub.Stream(id); ok {
		return st.Info().Room
	}
	return ""
}
