package controller

import (
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strconv"

	"github.com/labstack/echo/v4"
)

// The recording toggle and the pushes of a running session (Ant Media's REST v2).

func (c *Controller) setRecording(ctx echo.Context) error {
	id := ctx.Param("streamId")
	on, err := strconv.ParseBool(ctx.Param("onoff"))
	if err != nil {
		return ctx.JSON(http.StatusBadRequest, failed("recording/"+ctx.Param("onoff")+": say true or false", id))
	}
	recs, err := c.svc.SetRecording(ctx.Request().Context(), id, on, ctx.QueryParam("recordType"))
	if err != nil {
		return answer(ctx, err, id, false)
	}
	msg := ""
	for i, r := range recs {
		if i > 0 {
			msg += ","
		}
		msg += "streams/" + filepath.Base(r.Path)
	}
	return ctx.JSON(http.StatusOK, ok(msg, id))
}

func (c *Controller) addEndpoint(ctx echo.Context) error {
	id := ctx.Param("streamId")
	var req struct {
		RTMPURL string `json:"rtmpUrl"`
		WHIPURL string `json:"whipUrl"`
		Token   string `json:"token"`
	}
	if err := json.NewDecoder(io.LimitReader(ctx.Request().Body, 64<<10)).Decode(&req); err != nil {
		return ctx.JSON(http.StatusBadRequest, failed("the body is not valid JSON: "+err.Error(), id))
	}
	eid, err := c.svc.AddEndpoint(id, req.RTMPURL, req.WHIPURL, req.Token)
	if err != nil {
		return answer(ctx, err, id, false)
	}
	return ctx.JSON(http.StatusOK, ok("", eid))
}

func (c *Controller) removeEndpoint(ctx echo.Context) error {
	id := ctx.Param("streamId")
	if err := c.svc.RemoveEndpoint(ctx.Request().Context(), id, ctx.QueryParam("endpointServiceId")); err != nil {
		return answer(ctx, err, id, false)
	}
	return ctx.JSON(http.StatusOK, ok("", ctx.QueryParam("endpointServiceId")))
}
