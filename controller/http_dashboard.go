package controller

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"mediapush/rooms"
)

// The control routes the dashboard needs besides Ant Media's: the rooms, a recording's
// playable URL, a play token for watching a stream.

// RoomSummary is a room with its participants and whether it is being recorded.
type RoomSummary struct {
	RoomID       string        `json:"roomId"`
	Recording    bool          `json:"recording"`
	Participants []Participant `json:"participants"`
}

// Rooms lists the rooms somebody takes part in now, by id.
func (s *Service) Rooms(ctx context.Context) []RoomSummary {
	out := []RoomSummary{}
	for _, room := range s.hub.Rooms() {
		r := RoomSummary{RoomID: room, Participants: []Participant{}}
		for _, p := range s.hub.Participants(room) {
			r.Participants = append(r.Participants, participant(p))
		}
		if rec, err := s.cat.GetBroadcast(ctx, room+compositeSuffix); err == nil {
			r.Recording = recordingState(rec.State)
		}
		out = append(out, r)
	}
	return out
}

// listRooms answers GET /api/v1/rooms.
func (c *Controller) listRooms(ctx echo.Context) error {
	return ctx.JSON(http.StatusOK, c.svc.Rooms(ctx.Request().Context()))
}

// vodURL answers GET /api/v1/vods/{vodId}/url with a download URL of the recording that works
// without credentials until it expires: a player element cannot send the API token.
func (c *Controller) vodURL(ctx echo.Context) error {
	v, err := c.svc.VoD(ctx.Request().Context(), ctx.Param("vodId"))
	if err != nil {
		return answer(ctx, err, "", false)
	}
	url, err := c.svc.DownloadURL(ctx.Request().Context(), v)
	if err != nil {
		return answer(ctx, err, "", false)
	}
	return ctx.JSON(http.StatusOK, map[string]any{"url": url, "expiresInSeconds": int(c.cfg.DownloadTTL / time.Second)})
}

// playTokenTTL is how long a play token handed to a control caller works: long enough to
// start playing (it is checked once, when the WHEP offer arrives).
const playTokenTTL = 2 * time.Minute

// playToken answers GET /api/v1/streams/{streamId}/play-token: a stream token that lets a
// control caller watch the stream over WHEP; "" when stream tokens are off.
func (c *Controller) playToken(ctx echo.Context) error {
	id := ctx.Param("streamId")
	if err := validStreamID(id); err != nil {
		return answer(ctx, badRequest(err), "", false)
	}
	tok, err := c.svc.hub.Token(id, rooms.Play, playTokenTTL)
	if err != nil {
		return answer(ctx, err, "", false)
	}
	return ctx.JSON(http.StatusOK, map[string]string{"token": tok})
}
