package controller

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"mediapush/catalog"
	"mediapush/rooms"
	"mediapush/worker"
)

// DefaultRoomURL is the page a room recording loads: mediapush's own room composite.
// Circle's rooms are recorded with "{base}/{app}/{roomId}?playOnly=true&enterDirectly=true&token={token}".
const DefaultRoomURL = "{base}/{app}/multitrack-play.html?id={roomId}&layout={layout}&token={token}"

// roomTokenTTL is how long the composite page of a room recording may join the room's streams.
const roomTokenTTL = 24 * time.Hour

// RoomRecordingRequest is the optional body of a room recording start.
type RoomRecordingRequest struct {
	Width      int    `json:"width"`
	Height     int    `json:"height"`
	RecordType string `json:"recordType"` // default mp4
	// Layout is the composite's arrangement: grid (default) or speaker.
	Layout           string `json:"layout"`
	AwaitStartSignal bool   `json:"awaitStartSignal"`
	// IndividualAudio also records each participant's own audio, one MP3 per join (default true).
	IndividualAudio *bool `json:"individualAudio"`
}

// StartRoomRecording records a room through its layout page, as stream <room>_composite.
// base is the URL under which this node serves its pages.
func (s *Service) StartRoomRecording(ctx context.Context, app, base, room string, req RoomRecordingRequest) (string, error) {
	if err := checkRoomRecording(room, &req); err != nil {
		return "", badRequest(err)
	}
	token, err := s.hub.Token(room, rooms.Play, roomTokenTTL)
	if err != nil {
		return "", err
	}
	pageURL := strings.NewReplacer(
		"{base}", strings.TrimSuffix(base, "/"), "{app}", url.PathEscape(app), "{roomId}", url.QueryEscape(room),
		"{token}", url.QueryEscape(token), "{layout}", req.Layout,
	).Replace(s.roomURL)
	defer s.roomRecordingChanged(room)
	id, err := s.startPush(ctx, room+compositeSuffix, StartRequest{URL: pageURL, Width: req.Width, Height: req.Height,
		RecordType: req.RecordType, AwaitStartSignal: req.AwaitStartSignal}, purpose{kind: worker.KindRoom, room: room})
	if err == nil && (req.IndividualAudio == nil || *req.IndividualAudio) {
		s.legs.Start(room)
	}
	return id, err
}

// checkRoomRecording checks the room id and layout of a recording request and fills in the
// defaults; the size and record type are checked as any session's are.
func checkRoomRecording(room string, req *RoomRecordingRequest) error {
	if err := validStreamID(room); err != nil {
		return fmt.Errorf("room id: %w", err)
	}
	if err := checkLayout(&req.Layout); err != nil {
		return err
	}
	if req.RecordType == "" {
		req.RecordType = "mp4"
	}
	return nil
}

// checkLayout checks the name of an arrangement of mediapush's room page, grid by default.
func checkLayout(layout *string) error {
	switch *layout {
	case "":
		*layout = "grid"
	case "grid", "speaker":
	default:
		return fmt.Errorf("layout %q is not known: use grid or speaker", *layout)
	}
	return nil
}

// StopRoomRecording ends a room's recording. The room's isRecording is false afterwards even
// when the session ended badly.
func (s *Service) StopRoomRecording(ctx context.Context, room string) error {
	if err := validStreamID(room); err != nil {
		return badRequest(fmt.Errorf("room id: %w", err))
	}
	defer s.roomRecordingChanged(room)
	id := room + compositeSuffix
	err := s.StopPush(ctx, id)
	var se *Error
	if errors.As(err, &se) && se.Code == 404 {
		// No session runs: a broadcast still marked running (its process died before the
		// catalog heard) must not keep the room's isRecording on.
		if b, gerr := s.cat.GetBroadcast(ctx, id); gerr == nil && recordingState(b.State) {
			s.cat.UpdateState(ctx, id, catalog.StatusFinished, string(worker.Failed), "no session was running when the recording was stopped", s.now().UnixMilli()) //nolint:errcheck // best effort; the stop's answer says what matters
		}
		return notFound("room %s is not being recorded", room)
	}
	return err
}

// recordingState tells whether a composite session in state makes its room isRecording.
func recordingState(state string) bool {
	return state == string(worker.Starting) || state == string(worker.Active)
}
