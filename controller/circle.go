package controller

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"mediapush/rooms"
)

// Circle (Ant Media's conference application) drives recordings over its own WebSocket at
// /{app}/websocket/application: getSettings tells it whether to show the Start Recording
// button, startRecording/stopRecording start and stop the room's composite recording, and
// every answer carries Ant Media's Result as a JSON string in "definition".

// circleRequest is a message from Circle's client.
type circleRequest struct {
	Command  string `json:"command"`
	StreamID string `json:"streamId"`
	// Token is Circle's stream token: with stream tokens on, a publish token for the room
	// lets its holder start and stop the room's recording.
	Token string `json:"token"`
	// WebsocketURL and RecordingMode are read by Ant Media's server to build the page URL;
	// mediapush records the page configured with --room-url instead, so that a client cannot
	// point the recorder at a page of its choosing.
	WebsocketURL  string `json:"websocketURL"`
	RecordingMode string `json:"recordingMode"`
}

// circleReply is a message to Circle's client.
type circleReply struct {
	Command string `json:"command"`
	// Settings is a JSON document in a string: Circle parses it again.
	Settings string `json:"settings,omitempty"`
	// Definition is the Result as a JSON string, or an error's text.
	Definition string `json:"definition,omitempty"`
}

// circleSettings is what Circle reads from setSettings (Ant Media's ConferenceRoomSettings).
type circleSettings struct {
	RoomCreationPasswordEnabled bool `json:"roomCreationPasswordEnabled"`
	IsRecordingFeatureAvailable bool `json:"isRecordingFeatureAvailable"`
	MaxVideoTrackCount          int  `json:"maxVideoTrackCount"`
}

// maxCircleMessage bounds one message from a client; Circle's are a few hundred bytes.
const maxCircleMessage = 16 << 10

// circleAccess is what a Circle connection may do: controlErr is the verdict of the control
// rule on its upgrade request (nil: an operator's client), authorize checks a stream token.
type circleAccess struct {
	controlErr error
	tokensOn   bool
	authorize  func(token, kind, streamID, room string) error
}

// mayRecord decides whether the connection may start or stop room's recording. A recording
// costs a browser, so it is a control action: allowed to a caller the control routes admit,
// or, with stream tokens on, to the holder of a publish token for the room (a participant
// who may publish into the room may record it, as in Circle).
func (a circleAccess) mayRecord(room, token string) error {
	if a.controlErr == nil {
		return nil
	}
	if !a.tokensOn {
		return fmt.Errorf("not allowed: recording a room is a control action (%s)", a.controlErr)
	}
	if token == "" {
		return fmt.Errorf("not allowed: send a publish token for room %s in \"token\", or connect with the API token (%s)", room, a.controlErr)
	}
	if err := a.authorize(token, rooms.Publish, room, room); err != nil {
		return fmt.Errorf("not allowed: %s; a publish token for room %s is needed", strings.TrimPrefix(err.Error(), rooms.ErrUnauthorized.Error()+": "), room)
	}
	return nil
}

// circleRecorder is what the Circle commands need of the node.
type circleRecorder interface {
	startRoomRecording(ctx context.Context, room string) (string, error)
	stopRoomRecording(ctx context.Context, room string) error
}

// handleCircle answers one message; a nil reply means none is due.
func handleCircle(ctx context.Context, raw []byte, access circleAccess, rec circleRecorder) circleReply {
	var req circleRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		return circleError("the message is not a JSON object with a \"command\": " + err.Error())
	}
	switch req.Command {
	case "ping":
		return circleReply{Command: "pong"}
	case "getSettings":
		settings, _ := json.Marshal(circleSettings{IsRecordingFeatureAvailable: true, MaxVideoTrackCount: 6})
		return circleReply{Command: "setSettings", Settings: string(settings)}
	case "startRecording", "stopRecording":
		return circleRecording(ctx, req, access, rec)
	case "":
		return circleError("the message has no \"command\"")
	}
	return circleError(fmt.Sprintf("command %q is not known here: this endpoint answers ping, getSettings, startRecording and stopRecording", req.Command))
}

func circleRecording(ctx context.Context, req circleRequest, access circleAccess, rec circleRecorder) circleReply {
	reply := circleReply{Command: req.Command + "Response"}
	if err := validStreamID(req.StreamID); err != nil {
		return reply.with(failed("room id: "+err.Error(), ""))
	}
	if err := access.mayRecord(req.StreamID, req.Token); err != nil {
		return reply.with(failed(err.Error(), ""))
	}
	if req.Command == "startRecording" {
		id, err := rec.startRoomRecording(ctx, req.StreamID)
		if err != nil {
			return reply.with(failed(errorMessage(err), ""))
		}
		return reply.with(ok("", id))
	}
	if err := rec.stopRoomRecording(ctx, req.StreamID); err != nil {
		return reply.with(failed(errorMessage(err), ""))
	}
	return reply.with(ok("", req.StreamID+compositeSuffix))
}

func (r circleReply) with(res Result) circleReply {
	def, _ := json.Marshal(res)
	r.Definition = string(def)
	return r
}

func circleError(msg string) circleReply { return circleReply{Command: "error", Definition: msg} }

// errorMessage is the message of a service error as a caller may see it.
func errorMessage(err error) string {
	var se *Error
	if errors.As(err, &se) {
		return se.Message
	}
	return "internal error"
}

// peekCommand is a message's command, or "" when it has none.
func peekCommand(raw []byte) string {
	var req struct {
		Command string `json:"command"`
	}
	json.Unmarshal(raw, &req) //nolint:errcheck // handleCircle reports a broken message
	return req.Command
}
