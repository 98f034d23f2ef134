package controller

import (
	"io"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
)

// dolbyRoutes registers the Dolby.io-style recording and Monitor API at /v2.
func (c *Controller) dolbyRoutes(e *echo.Echo) {
	v2 := e.Group("/v2", c.dolbyControl)
	mix := v2.Group("/conferences/mix/:conferenceId")
	mix.POST("/recording/start", c.startMix)
	mix.POST("/recording/stop", func(ctx echo.Context) error { return c.stopMixes(ctx, "mix") })
	mix.POST("/rtmp/start", c.startMixRTMP)
	mix.POST("/rtmp/stop", func(ctx echo.Context) error { return c.stopMixes(ctx, "rtmp") })
	mix.POST("/remix", c.startDolbyRemix)
	mix.POST("/remix/start", c.startDolbyRemix)
	mix.GET("/remix/status", c.dolbyRemixStatus)
	v2.GET("/monitor/recordings", c.monitorRecordings)
	v2.GET("/monitor/conferences/:conferenceId/recordings", c.conferenceRecordings)
	v2.DELETE("/monitor/conferences/:conferenceId/recordings", c.deleteConferenceRecordings)
}

// dolbyControl guards the Dolby routes as control guards the others (and as requireJSON
// checks their bodies), refusing in Dolby's error shape: a Dolby client reads every failure
// of these routes the same way.
func (c *Controller) dolbyControl(next echo.HandlerFunc) echo.HandlerFunc {
	return func(ctx echo.Context) error {
		if err := c.controlAllowed(ctx.Request()); err != nil {
			return dolbyError(ctx, err)
		}
		if err := checkJSONBody(ctx.Request()); err != nil {
			return dolbyError(ctx, err)
		}
		return next(ctx)
	}
}

// dolbyError answers in Dolby's error shape.
func dolbyError(ctx echo.Context, err error) error {
	code, msg := http.StatusInternalServerError, "internal error"
	if se, ok := err.(*Error); ok {
		code, msg = se.Code, se.Message
	}
	setRetryAfter(ctx, code, err)
	return ctx.JSON(code, map[string]string{"error_code": strconv.Itoa(code), "error_description": msg})
}

func readMix(ctx echo.Context) (MixRequest, error) {
	var req MixRequest
	body, err := io.ReadAll(io.LimitReader(ctx.Request().Body, 64<<10))
	if err != nil {
		return req, &Error{Code: 400, Message: "cannot read the request body"}
	}
	if err := decodeBody(body, &req); err != nil {
		return req, &Error{Code: 400, Message: "the body is not valid JSON: " + err.Error()}
	}
	return req, nil
}

func (c *Controller) startMix(ctx echo.Context) error {
	req, err := readMix(ctx)
	if err != nil {
		return dolbyError(ctx, err)
	}
	conf := ctx.Param("conferenceId")
	id, err := c.svc.StartMix(ctx.Request().Context(), conf, req)
	if err != nil {
		return dolbyError(ctx, err)
	}
	return ctx.JSON(http.StatusOK, map[string]string{"conferenceId": conf, "mixId": req.MixID, "streamId": id, "status": "IN_PROGRESS"})
}

func (c *Controller) startMixRTMP(ctx echo.Context) error {
	req, err := readMix(ctx)
	if err != nil {
		return dolbyError(ctx, err)
	}
	conf := ctx.Param("conferenceId")
	id, err := c.svc.StartMixRTMP(ctx.Request().Context(), conf, req)
	if err != nil {
		return dolbyError(ctx, err)
	}
	return ctx.JSON(http.StatusOK, map[string]string{"conferenceId": conf, "mixId": req.MixID, "streamId": id, "status": "IN_PROGRESS"})
}

func (c *Controller) stopMixes(ctx echo.Context, kind string) error {
	conf := ctx.Param("conferenceId")
	n, err := c.svc.StopMixes(ctx.Request().Context(), conf, kind)
	if err != nil {
		return dolbyError(ctx, err)
	}
	return ctx.JSON(http.StatusOK, map[string]any{"conferenceId": conf, "stopped": n})
}

func (c *Controller) monitorRecordings(ctx echo.Context) error {
	if t := ctx.QueryParam("type"); t != "" && t != "mix" {
		return dolbyError(ctx, &Error{Code: 400, Message: "type: only mix recordings are listed here"})
	}
	size := 100
	if v, err := strconv.Atoi(ctx.QueryParam("max")); err == nil && v > 0 && v < 1000 {
		size = v
	}
	offset, _ := strconv.Atoi(ctx.QueryParam("start"))
	list, err := c.svc.MixRecordings(ctx.Request().Context(), ctx.QueryParam("mediaType"), max(offset, 0), size)
	if err != nil {
		return dolbyError(ctx, err)
	}
	return ctx.JSON(http.StatusOK, map[string]any{"recordings": list})
}

func (c *Controller) conferenceRecordings(ctx echo.Context) error {
	conf := ctx.Param("conferenceId")
	list, err := c.svc.ConferenceRecordings(ctx.Request().Context(), conf)
	if err != nil {
		return dolbyError(ctx, err)
	}
	return ctx.JSON(http.StatusOK, map[string]any{"conference": map[string]string{"confId": conf}, "recordings": list})
}

func (c *Controller) deleteConferenceRecordings(ctx echo.Context) error {
	n, err := c.svc.DeleteConferenceRecordings(ctx.Request().Context(), ctx.Param("conferenceId"))
	if err != nil {
		return dolbyError(ctx, err)
	}
	return ctx.JSON(http.StatusOK, map[string]int{"deleted": n})
}
