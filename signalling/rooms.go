package signalling

import "mediapush/rooms"

// maxJoinedRooms bounds the rooms one connection has joined at once: each is remembered
// until it leaves.
const maxJoinedRooms = 8

// joinRoom enters a room: the client learns its stream id (one is made up if it gave none)
// and who is in the room, then publishes and plays the room. With stream tokens on, the list
// is sent only to a connection that showed a token for the room (joinRoom carries none).
func (c *conn) joinRoom(req request) error {
	room, id := req.room(), req.StreamID
	if err := c.checkID("room", room); err != nil {
		return err
	}
	if id == "" {
		id = c.srv.cfg.Backend.NewStreamID()
	} else if err := c.srv.cfg.Backend.CheckPublishID(id); err != nil {
		return refuse(defInvalidStreamID, "%v", err)
	}
	if req.Token != "" {
		if c.authorize(req.Token, rooms.Play, room, room) != nil {
			if err := c.authorize(req.Token, rooms.Publish, id, room); err != nil {
				return err
			}
		}
	}
	c.mu.Lock()
	full := !c.joined[room] && len(c.joined) >= maxJoinedRooms
	if !full {
		c.joined[room] = true
	}
	c.mu.Unlock()
	if full {
		return refuse(defLimitReached, "a connection joins %d rooms at most: leave one first", maxJoinedRooms)
	}
	msg := roomNotification{notification: notify("joinedTheRoom", id), RoomName: room, Room: room,
		Streams: []string{}, StreamList: []streamEntry{}}
	if c.mayRead(room, room) == nil {
		msg.Streams, msg.StreamList = c.srv.roomStreams(room, id)
	}
	c.send(msg)
	return nil
}

// leaveRoom leaves a room: the connection's publication in it and its plays of it end.
func (c *conn) leaveRoom(req request) error {
	room := req.room()
	if err := c.checkID("room", room); err != nil {
		return err
	}
	c.mu.Lock()
	pub, p := c.pub, c.plays[room]
	delete(c.joined, room)
	c.mu.Unlock()
	if pub != nil && pub.room == room {
		pub.end("the participant left the room")
	}
	if p != nil {
		p.end()
	}
	id := req.StreamID
	if id == "" && pub != nil && pub.room == room {
		id = pub.id
	}
	c.send(roomNotification{notification: notify("leavedFromRoom", id), RoomName: room, Room: room,
		Streams: []string{}, StreamList: []streamEntry{}})
	return nil
}

// roomInfo lists the room's other participants.
func (c *conn) roomInfo(req request) error {
	room := req.room()
	if err := c.checkID("room", room); err != nil {
		return err
	}
	if err := c.mayRead(room, room); err != nil {
		return err
	}
	streams, list := c.srv.roomStreams(room, req.StreamID)
	c.send(roomInformation{Command: "roomInformation", Room: room, StreamID: req.StreamID, Streams: streams, StreamList: list})
	return nil
}

// roomStreams are the ids and descriptions of a room's participants but one.
func (s *Server) roomStreams(room, except string) ([]string, []streamEntry) {
	ids, list := []string{}, []streamEntry{}
	for _, p := range s.hub.Participants(room) {
		if p.ID == except {
			continue
		}
		s.mu.Lock()
		meta := s.meta[p.ID]
		s.mu.Unlock()
		ids = append(ids, p.ID)
		list = append(list, streamEntry{StreamID: p.ID, StreamName: p.Name, MetaData: meta})
	}
	return ids, list
}
