package controller

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
)

// The recording toggle and the pushes of a running session (Ant Media's REST v2).

func (c *Controller) setRecording(ctx echo.Context) error {
	id := ctx.Param("streamId")
	on, err := strconv.ParseBool(ctx.Param("onoff"))
	if err != nil {
		return ctx.JSON(http.StatusBadRequest, failed("recording/"+ctx.Param("onoff")+": say true or false", ""))
	}
	vodID, recs, err := c.svc.SetRecording(ctx.Request().Context(), id, on, ctx.QueryParam("recordType"))
	if err != nil {
		return answer(ctx, err, "", false)
	}
	msg := ""
	for i, r := range recs {
		if i > 0 {
			msg += ","
		}
		msg += "streams/" + r.Key
	}
	// dataId is the VoD's id, as Ant Media answers; the message names the files.
	return ctx.JSON(http.StatusOK, ok(msg, vodID))
}

// endpointRequest is the body of POST broadcasts/{id}/endpoint (and of the older
// rtmp-endpoint): Ant Media's endpointUrl, or its 2.x name rtmpUrl; whipUrl and token push to
// a WHIP endpoint. An http(s) endpointUrl is a WHIP endpoint too.
type endpointRequest struct {
	EndpointURL string `json:"endpointUrl"`
	RTMPURL     string `json:"rtmpUrl"`
	WHIPURL     string `json:"whipUrl"`
	Token       string `json:"token"`
	// Name and Type are parts of Ant Media's Endpoint that its clients send; mediapush
	// names and types an endpoint from its URL.
	Name string `json:"name"`
	Type string `json:"type"`
}

// targets sorts the request's URL into an RTMP and a WHIP target: an http(s) endpointUrl is
// a WHIP endpoint, any other an RTMP URL; rtmpUrl is always RTMP.
func (r endpointRequest) targets() (rtmpURL, whipURL string, err error) {
	if r.EndpointURL != "" && r.RTMPURL != "" && r.EndpointURL != r.RTMPURL {
		return "", "", errors.New("endpointUrl and rtmpUrl differ: give one of them")
	}
	whipURL = r.WHIPURL
	if strings.HasPrefix(r.EndpointURL, "http://") || strings.HasPrefix(r.EndpointURL, "https://") {
		if whipURL != "" && whipURL != r.EndpointURL {
			return "", "", errors.New("endpointUrl and whipUrl differ: give one of them")
		}
		return "", r.EndpointURL, nil
	}
	rtmpURL = r.RTMPURL
	if rtmpURL == "" {
		rtmpURL = r.EndpointURL
	}
	return rtmpURL, whipURL, nil
}

func (c *Controller) addEndpoint(ctx echo.Context) error {
	id := ctx.Param("streamId")
	var req endpointRequest
	body, err := io.ReadAll(io.LimitReader(ctx.Request().Body, 64<<10))
	if err != nil {
		return ctx.JSON(http.StatusBadRequest, failed("cannot read the request body", ""))
	}
	if err := decodeBody(body, &req); err != nil {
		return ctx.JSON(http.StatusBadRequest, failed("the body is not valid JSON for an endpoint: "+err.Error(), ""))
	}
	rtmpURL, whipURL, err := req.targets()
	if err != nil {
		return answer(ctx, badRequest(err), "", false)
	}
	eid, err := c.svc.AddEndpoint(id, rtmpURL, whipURL, req.Token)
	if err != nil {
		return answer(ctx, err, "", false)
	}
	return ctx.JSON(http.StatusOK, ok("", eid))
}

func (c *Controller) removeEndpoint(ctx echo.Context) error {
	id := ctx.Param("streamId")
	if err := c.svc.RemoveEndpoint(ctx.Request().Context(), id, ctx.QueryParam("endpointServiceId")); err != nil {
		return answer(ctx, err, "", false)
	}
	return ctx.JSON(http.StatusOK, ok("", ctx.QueryParam("endpointServiceId")))
}
