package signalling

import (
	"encoding/json"
	"strings"
)

// Notice is a participant's change of state that its page tells the room over its data
// channel, as StreamApp's conference page and Circle do ({"streamId", "eventType":
// "MIC_MUTED"}).
type Notice struct {
	StreamID, Room string
	// Event is MIC_MUTED, MIC_UNMUTED, CAM_TURNED_OFF or CAM_TURNED_ON.
	Event string
}

// maxNotice bounds a data channel message read as a notice: the notices are a few dozen
// bytes, and a chat message or a file sent over the channel need not be parsed.
const maxNotice = 4 << 10

// noticeEvents are the event types told as notices.
var noticeEvents = map[string]bool{"MIC_MUTED": true, "MIC_UNMUTED": true, "CAM_TURNED_OFF": true, "CAM_TURNED_ON": true}

// notice reads a publisher's data channel message as a notice. The stream is the
// publication's own whatever the message names: a participant speaks for itself only.
func (s *Server) notice(pub *publication, data []byte, isString bool) {
	if s.cfg.OnNotice == nil || !isString || len(data) > maxNotice || !strings.Contains(string(data), "eventType") {
		return
	}
	var msg struct {
		EventType string `json:"eventType"`
	}
	if json.Unmarshal(data, &msg) != nil || !noticeEvents[msg.EventType] {
		return
	}
	s.cfg.OnNotice(Notice{StreamID: pub.id, Room: pub.room, Event: msg.EventType})
}
