package controller

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"mediapush/catalog"
	"mediapush/rooms"
)

// Participant is one stream of a room, as layout pages read it.
type Participant struct {
	StreamID    string `json:"streamId"`
	Name        string `json:"name"`
	Video       string `json:"video,omitempty"` // codec; empty for an audio-only participant
	Audio       string `json:"audio,omitempty"`
	ScreenShare bool   `json:"screenShare,omitempty"`
	Presenter   string `json:"presenter,omitempty"` // a screen share's presenter camera
	JoinedAt    int64  `json:"joinedAt"`            // Unix milliseconds
}

// compositeSuffix names a room's recording session, as Ant Media's Circle does.
const compositeSuffix = "_composite"

// Participants lists who is in a room now, in the order they joined. With stream tokens on,
// it takes a play token for the room, as playing its streams does.
func (s *Service) Participants(room, token string) ([]Participant, error) {
	if err := validStreamID(room); err != nil {
		return nil, badRequest(err)
	}
	if err := s.hub.Authorize(token, rooms.Play, room, room); err != nil {
		return nil, hubError(err)
	}
	out := []Participant{}
	for _, p := range s.hub.Participants(room) {
		out = append(out, participant(p))
	}
	return out, nil
}

func participant(p rooms.StreamInfo) Participant {
	return Participant{StreamID: p.ID, Name: p.Name, Video: p.Video, Audio: p.Audio,
		ScreenShare: p.ScreenShare, Presenter: p.Presenter, JoinedAt: p.Since.UnixMilli()}
}

// roomBroadcast is a room as Ant Media shows a conference: its participants in
// subTrackStreamIds and, in metaData, whether it is being recorded. ok is false for a room
// nobody is in and that was never recorded.
func (s *Service) roomBroadcast(ctx context.Context, room string) (b catalog.Broadcast, ok bool) {
	parts := s.hub.Participants(room)
	rec, recErr := s.cat.GetBroadcast(ctx, room+compositeSuffix)
	if len(parts) == 0 && recErr != nil {
		return b, false
	}
	recording := recErr == nil && recordingState(rec.State)
	meta, _ := json.Marshal(map[string]bool{"isRecording": recording})
	b = catalog.Broadcast{StreamID: room, Name: room, Type: "conference", Status: catalog.StatusFinished,
		MetaData: string(meta), SubTrackStreamIDs: []string{}}
	for i, p := range parts {
		if i == 0 {
			b.StartTime = p.Since.UnixMilli()
		}
		b.SubTrackStreamIDs = append(b.SubTrackStreamIDs, p.ID)
	}
	if len(parts) > 0 {
		b.Status = catalog.StatusBroadcasting
	}
	return b, true
}

// liveBroadcast is a stream published to the conference server.
func liveBroadcast(p rooms.StreamInfo) catalog.Broadcast {
	meta, _ := json.Marshal(participant(p))
	return catalog.Broadcast{StreamID: p.ID, Name: p.Name, Type: "liveStream", Status: catalog.StatusBroadcasting,
		StartTime: p.Since.UnixMilli(), MainTrackStreamID: p.Room, MetaData: string(meta)}
}

// PublishRequest is a WHIP publication's parameters, from its URL.
type PublishRequest struct {
	StreamID, Room, Name, Presenter, Token string
	ScreenShare                            bool
}

// Publish admits a WHIP publisher and returns the SDP answer and the session that ends it.
func (s *Service) Publish(req PublishRequest, offer string) (answer, session string, err error) {
	if err := validStreamID(req.StreamID); err != nil {
		return "", "", badRequest(err)
	}
	if err := checkNotReserved(req.StreamID); err != nil {
		return "", "", &Error{Code: http.StatusForbidden, Message: err.Error()}
	}
	if req.Room != "" {
		if err := validStreamID(req.Room); err != nil {
			return "", "", badRequest(fmt.Errorf("mainTrack: %w", err))
		}
	}
	if err := checkName(req.Name); err != nil {
		return "", "", badRequest(err)
	}
	if req.Name == "" {
		req.Name = req.StreamID
	}
	if req.ScreenShare && req.Presenter == "" {
		// Circle's convention: a screen share is published as <camera stream>_presentation.
		req.Presenter, _ = strings.CutSuffix(req.StreamID, "_presentation")
		if req.Presenter == req.StreamID {
			req.Presenter = ""
		}
	}
	if err := s.hub.Authorize(req.Token, rooms.Publish, req.StreamID, req.Room); err != nil {
		return "", "", hubError(err)
	}
	answer, session, err = s.hub.Publish(req.StreamID, rooms.PublishOptions{Room: req.Room, Name: req.Name,
		ScreenShare: req.ScreenShare, Presenter: req.Presenter}, offer)
	return answer, session, hubError(err)
}

// Play admits a WHEP viewer of a live stream.
func (s *Service) Play(streamID, token, offer string) (answer, session string, err error) {
	if err := validStreamID(streamID); err != nil {
		return "", "", badRequest(err)
	}
	room := ""
	if st, ok := s.hub.Stream(streamID); ok {
		room = st.Info().Room
	}
	if err := s.hub.Authorize(token, rooms.Play, streamID, room); err != nil {
		return "", "", hubError(err)
	}
	answer, session, err = s.hub.Play(streamID, offer)
	return answer, session, hubError(err)
}

// hubError gives the conference server's errors their HTTP status.
func hubError(err error) error {
	if err == nil {
		return nil
	}
	code := 500
	switch {
	case errors.Is(err, rooms.ErrUnauthorized):
		code = 401
	case errors.Is(err, rooms.ErrNotFound):
		code = 404
	case errors.Is(err, rooms.ErrExists):
		code = 409
	case errors.Is(err, rooms.ErrBadOffer), errors.Is(err, rooms.ErrBadFragment):
		code = 400
	case errors.Is(err, rooms.ErrICERestart):
		code = 422
	case errors.Is(err, rooms.ErrCodec):
		code = 422
	case errors.Is(err, rooms.ErrClosed):
		code = 503
	case errors.Is(err, rooms.ErrFull):
		code = 429
	}
	return &Error{Code: code, Message: err.Error()}
}

// checkName accepts a display name of up to 64 printable characters.
func checkName(name string) error {
	if utf8.RuneCountInString(name) > 64 || !utf8.ValidString(name) ||
		strings.IndexFunc(name, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return fmt.Errorf("name %q is not valid: use up to 64 printable characters", name)
	}
	return nil
}
