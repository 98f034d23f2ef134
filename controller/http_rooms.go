package controller

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// roomRoutes registers the conference server (WHIP, WHEP, rooms) and room recording.
// The participant list is what layout pages poll, so it is a participants' route: open, or
// guarded by a play token for the room when stream tokens are on.
func (c *Controller) roomRoutes(app, push *echo.Group) {
	cors := c.whipCORS.middleware
	for _, kind := range []string{"/whip", "/whep"} {
		app.OPTIONS(kind+"/:streamId", whipEndpointOptions, cors)
		app.OPTIONS(kind+"/:streamId/:session", whipSessionOptions, cors)
		app.PATCH(kind+"/:streamId/:session", c.iceTrickle, cors)
	}
	app.POST("/whip/:streamId", c.whipPublish, cors)
	app.DELETE("/whip/:streamId/:session", c.whipEnd, cors)
	app.POST("/whep/:streamId", c.whepPlay, cors)
	app.DELETE("/whep/:streamId/:session", c.whepEnd, cors)
	app.GET("/rest/v2/rooms/:roomId/participants", c.participants)
	c.signallingRoutes(app)
	push.POST("/rooms/:roomId/recording/start", c.startRoomRecording)
	push.POST("/rooms/:roomId/recording/stop", c.stopRoomRecording)
	push.POST("/rooms/:roomId/remix", c.startRoomRemix)
	push.GET("/rooms/:roomId/remix", c.roomRemixes)
}

// maxOfferSize bounds an SDP offer; a browser's is a few kilobytes.
const maxOfferSize = 64 << 10

// readOffer reads a WHIP/WHEP request's SDP offer.
func readOffer(ctx echo.Context) (string, error) {
	if ct := ctx.Request().Header.Get("Content-Type"); ct != "" {
		if mt, _, _ := mime.ParseMediaType(ct); mt != "application/sdp" {
			return "", &Error{Code: http.StatusUnsupportedMediaType, Message: "the offer must be sent as application/sdp, not " + ct}
		}
	}
	body, err := io.ReadAll(io.LimitReader(ctx.Request().Body, maxOfferSize+1))
	switch {
	case err != nil:
		return "", &Error{Code: 400, Message: "cannot read the offer"}
	case len(body) > maxOfferSize:
		return "", &Error{Code: http.StatusRequestEntityTooLarge, Message: "the offer is larger than 64 KiB"}
	case len(bytes.TrimSpace(body)) == 0:
		return "", &Error{Code: 400, Message: "the request carries no SDP offer"}
	}
	return string(body), nil
}

// bearer is the token of a WHIP/WHEP request: the standard Authorization header, or Ant Media's
// token query parameter.
func bearer(ctx echo.Context) string {
	if t, ok := strings.CutPrefix(ctx.Request().Header.Get("Authorization"), "Bearer "); ok {
		return strings.TrimSpace(t)
	}
	return ctx.QueryParam("token")
}

// plainError answers a WHIP/WHEP request: their clients show the body as text.
func plainError(ctx echo.Context, err error) error {
	var se *Error
	code, msg := http.StatusInternalServerError, "internal error"
	if errors.As(err, &se) {
		code, msg = se.Code, se.Message
	}
	return ctx.String(code, msg+"\n")
}

// sdpAnswer answers a WHIP/WHEP offer: the session's resource in Location, its ICE session's
// entity tag in ETag (for trickle ICE, RFC 9725 4.3.1).
func (c *Controller) sdpAnswer(ctx echo.Context, location, streamID, session, answer string) error {
	ctx.Response().Header().Set("Location", location)
	if tag, err := c.svc.hub.ICETag(streamID, session); err == nil {
		ctx.Response().Header().Set("ETag", `"`+tag+`"`)
	}
	return ctx.Blob(http.StatusCreated, "application/sdp", []byte(answer))
}

func (c *Controller) whipPublish(ctx echo.Context) error {
	offer, err := readOffer(ctx)
	if err != nil {
		return plainError(ctx, err)
	}
	req := PublishRequest{StreamID: ctx.Param("streamId"), Room: ctx.QueryParam("mainTrack"),
		Name: ctx.QueryParam("name"), Presenter: ctx.QueryParam("presenter"), Token: bearer(ctx),
		ScreenShare: ctx.QueryParam("screenShare") == "true"}
	answer, session, err := c.svc.Publish(req, offer)
	if err != nil {
		return plainError(ctx, err)
	}
	return c.sdpAnswer(ctx, "/"+ctx.Param("app")+"/whip/"+req.StreamID+"/"+session, req.StreamID, session, answer)
}

func (c *Controller) whipEnd(ctx echo.Context) error {
	if err := c.svc.hub.Unpublish(ctx.Param("streamId"), ctx.Param("session")); err != nil {
		return plainError(ctx, hubError(err))
	}
	return ctx.NoContent(http.StatusOK)
}

func (c *Controller) whepPlay(ctx echo.Context) error {
	offer, err := readOffer(ctx)
	if err != nil {
		return plainError(ctx, err)
	}
	id := ctx.Param("streamId")
	answer, session, err := c.svc.Play(id, bearer(ctx), offer)
	if err != nil {
		return plainError(ctx, err)
	}
	return c.sdpAnswer(ctx, "/"+ctx.Param("app")+"/whep/"+id+"/"+session, id, session, answer)
}

func (c *Controller) whepEnd(ctx echo.Context) error {
	if err := c.svc.hub.StopPlaying(ctx.Param("streamId"), ctx.Param("session")); err != nil {
		return plainError(ctx, hubError(err))
	}
	return ctx.NoContent(http.StatusOK)
}

func (c *Controller) participants(ctx echo.Context) error {
	list, err := c.svc.Participants(ctx.Param("roomId"), bearer(ctx))
	if err != nil {
		return answer(ctx, err, "", false)
	}
	return ctx.JSON(http.StatusOK, list)
}

func (c *Controller) startRoomRecording(ctx echo.Context) error {
	var req RoomRecordingRequest
	body, err := io.ReadAll(io.LimitReader(ctx.Request().Body, 64<<10))
	if err != nil {
		return ctx.JSON(http.StatusBadRequest, failed("cannot read the request body", ""))
	}
	if len(bytes.TrimSpace(body)) > 0 {
		if err := decodeBody(body, &req); err != nil {
			return ctx.JSON(http.StatusBadRequest, failed("the body is not valid JSON for a room recording: "+err.Error(), ""))
		}
	}
	room := ctx.Param("roomId")
	id, err := c.svc.StartRoomRecording(ctx.Request().Context(), ctx.Param("app"), c.selfURL(ctx), room, req)
	if err != nil {
		return answer(ctx, err, "", true)
	}
	return ctx.JSON(http.StatusOK, ok("", id))
}

func (c *Controller) stopRoomRecording(ctx echo.Context) error {
	room := ctx.Param("roomId")
	if err := c.svc.StopRoomRecording(ctx.Request().Context(), room); err != nil {
		return answer(ctx, err, "", true)
	}
	return ctx.JSON(http.StatusOK, ok("", room+compositeSuffix))
}

// selfURL is where this node's own pages are reached from its browsers: the configured base
// URL, or the address the request came in on. The Host header is not used: a client could
// point it elsewhere and receive the room's play token.
func (c *Controller) selfURL(ctx echo.Context) string {
	if c.baseURL != "" {
		return c.baseURL
	}
	if addr, ok := ctx.Request().Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if tcp, ok := addr.(*net.TCPAddr); ok && tcp.IP.IsUnspecified() {
			tcp = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: tcp.Port}
			return "http://" + tcp.String()
		}
		return "http://" + addr.String()
	}
	return "http://127.0.0.1"
}
