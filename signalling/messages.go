package signalling

import (
	"encoding/json"
	"strings"
)

// request is any command of the JS SDK: one JSON object per text frame, its fields depending
// on its command. Fields a command does not use are ignored, as Ant Media does.
type request struct {
	Command    string `json:"command"`
	StreamID   string `json:"streamId"`
	Token      string `json:"token"`
	Room       string `json:"room"`
	MainTrack  string `json:"mainTrack"`
	StreamName string `json:"streamName"`
	// MetaData is a string in the SDK's calls; other clients send an object.
	MetaData  json.RawMessage `json:"metaData"`
	TrackList []string        `json:"trackList"`
	// takeConfiguration
	Type string `json:"type"`
	SDP  string `json:"sdp"`
	// takeCandidate: the candidate's sdpMLineIndex, sdpMid and line.
	Label     *uint16 `json:"label"`
	ID        *string `json:"id"`
	Candidate string  `json:"candidate"`
	// getSubtracks
	Offset int `json:"offset"`
	Size   int `json:"size"`
}

// room is the room a command names: room, or mainTrack in the SDK's older calls.
func (r request) room() string {
	if r.Room != "" {
		return r.Room
	}
	return r.MainTrack
}

// metaData is the command's metaData as the text Ant Media stores.
func (r request) metaData() string {
	var s string
	if err := json.Unmarshal(r.MetaData, &s); err == nil {
		return s
	}
	if t := strings.TrimSpace(string(r.MetaData)); t != "null" {
		return t
	}
	return ""
}

// Server → client messages. Each has a command; notifications and errors a definition.

type startMessage struct {
	Command  string `json:"command"` // start: the publisher is to send its offer
	StreamID string `json:"streamId"`
}

type configurationMessage struct {
	Command   string            `json:"command"` // takeConfiguration
	StreamID  string            `json:"streamId"`
	Type      string            `json:"type"`
	SDP       string            `json:"sdp"`
	IDMapping map[string]string `json:"idMapping,omitempty"` // mid → ARDAMSv{id}/ARDAMSa{id}
}

type notification struct {
	Command    string `json:"command"` // notification
	Definition string `json:"definition"`
	StreamID   string `json:"streamId,omitempty"`
}

// roomNotification is joinedTheRoom and leavedFromRoom.
type roomNotification struct {
	notification
	RoomName   string        `json:"ATTR_ROOM_NAME"`
	Room       string        `json:"room"`
	Streams    []string      `json:"streams"`
	StreamList []streamEntry `json:"streamList"`
}

// streamEntry describes a room's participant in joinedTheRoom and roomInformation.
type streamEntry struct {
	StreamID   string `json:"streamId"`
	StreamName string `json:"streamName"`
	MetaData   string `json:"metaData,omitempty"`
}

type roomInformation struct {
	Command    string        `json:"command"` // roomInformation
	Room       string        `json:"room"`
	StreamID   string        `json:"streamId,omitempty"`
	Streams    []string      `json:"streams"`
	StreamList []streamEntry `json:"streamList"`
}

type broadcastNotification struct {
	notification
	Broadcast string `json:"broadcast"` // the Broadcast JSON, as a string
}

type subtrackListNotification struct {
	notification
	SubtrackList []string `json:"subtrackList"` // each a Broadcast JSON, as a string
}

type subtrackCountNotification struct {
	notification
	Count int `json:"count"`
}

type iceServerConfig struct {
	Command              string `json:"command"` // iceServerConfig
	StunServerURI        string `json:"stunServerUri"`
	TurnServerUsername   string `json:"turnServerUsername"`
	TurnServerCredential string `json:"turnServerCredential"`
}

type pong struct {
	Command string `json:"command"` // pong
}

type errorMessage struct {
	Command    string `json:"command"` // error
	Definition string `json:"definition"`
	StreamID   string `json:"streamId,omitempty"`
	// Message says in words what is wrong; the SDK reads the definition.
	Message string `json:"message,omitempty"`
}

func notify(definition, streamID string) notification {
	return notification{Command: "notification", Definition: definition, StreamID: streamID}
}
