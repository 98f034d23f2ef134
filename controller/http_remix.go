package controller

import (
	"bytes"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"

	"mediapush/catalog"
)

// Remix routes: Dolby's remix start and status for a conference, the same for a room from
// Ant Media's side, and the list of every remix for the dashboard.

// dolbyRemixApp is the application whose room page a Dolby remix naming a layout renders with.
const dolbyRemixApp = "live"

// readRemix reads a remix request; an empty body asks for the defaults.
func readRemix(ctx echo.Context) (RemixRequest, error) {
	var req RemixRequest
	body, err := io.ReadAll(io.LimitReader(ctx.Request().Body, 64<<10))
	if err != nil {
		return req, &Error{Code: 400, Message: "cannot read the request body"}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return req, nil
	}
	if err := decodeBody(body, &req); err != nil {
		return req, &Error{Code: 400, Message: "the body is not valid JSON for a remix: " + err.Error()}
	}
	return req, nil
}

// dolbyRemix is a remix as Dolby's remix calls answer: the conference, and its state.
func dolbyRemix(r catalog.Remix) map[string]any {
	return map[string]any{"conferenceId": r.Conference, "mixId": r.MixID, "remixId": r.ID, "status": r.Status,
		"progress": r.Progress, "remix": r}
}

// startDolbyRemix answers POST /v2/conferences/mix/{conferenceId}/remix (and /remix/start).
func (c *Controller) startDolbyRemix(ctx echo.Context) error {
	req, err := readRemix(ctx)
	if err != nil {
		return dolbyError(ctx, err)
	}
	r, err := c.svc.StartRemix(ctx.Request().Context(), ctx.Param("conferenceId"), dolbyRemixApp, req)
	if err != nil {
		return dolbyError(ctx, err)
	}
	return ctx.JSON(http.StatusOK, dolbyRemix(r))
}

// dolbyRemixStatus answers GET /v2/conferences/mix/{conferenceId}/remix/status: the latest
// remix's state (UNKNOWN when there is none) and every remix of the conference.
func (c *Controller) dolbyRemixStatus(ctx echo.Context) error {
	conf := ctx.Param("conferenceId")
	list, err := c.svc.Remixes(ctx.Request().Context(), conf)
	if err != nil {
		return dolbyError(ctx, err)
	}
	out := map[string]any{"conferenceId": conf, "status": "UNKNOWN", "remixes": list}
	if len(list) > 0 {
		out = dolbyRemix(list[0])
		out["remixes"] = list
	}
	return ctx.JSON(http.StatusOK, out)
}

// startRoomRemix answers POST /{app}/rest/v1/media-push/rooms/{roomId}/remix with Ant Media's
// Result: the remix's id as dataId.
func (c *Controller) startRoomRemix(ctx echo.Context) error {
	req, err := readRemix(ctx)
	if err != nil {
		return answer(ctx, err, "", false)
	}
	r, err := c.svc.StartRemix(ctx.Request().Context(), ctx.Param("roomId"), ctx.Param("app"), req)
	if err != nil {
		return answer(ctx, err, "", true)
	}
	return ctx.JSON(http.StatusOK, ok(r.Status, r.ID))
}

// roomRemixes answers GET /{app}/rest/v1/media-push/rooms/{roomId}/remix.
func (c *Controller) roomRemixes(ctx echo.Context) error {
	list, err := c.svc.Remixes(ctx.Request().Context(), ctx.Param("roomId"))
	if err != nil {
		return answer(ctx, err, "", false)
	}
	return ctx.JSON(http.StatusOK, list)
}

// listRemixes answers GET /api/v1/remixes: every conference's, the newest first.
func (c *Controller) listRemixes(ctx echo.Context) error {
	list, err := c.svc.Remixes(ctx.Request().Context(), "")
	if err != nil {
		return answer(ctx, err, "", false)
	}
	return ctx.JSON(http.StatusOK, list)
}

// getRemix answers GET /api/v1/remixes/{remixId}.
func (c *Controller) getRemix(ctx echo.Context) error {
	r, err := c.svc.Remix(ctx.Request().Context(), ctx.Param("remixId"))
	if err != nil {
		return answer(ctx, err, "", false)
	}
	return ctx.JSON(http.StatusOK, r)
}
