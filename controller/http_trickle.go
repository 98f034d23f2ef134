package controller

import (
	"bytes"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// trickleType is the media type of trickle ICE bodies (RFC 8840).
const trickleType = "application/trickle-ice-sdpfrag"

// iceTrickle answers PATCH on a WHIP or WHEP session (RFC 9725 4.3): the client's later ICE
// candidates. The session id is the capability, as for DELETE. The session's ICE tag (its
// ETag) must be named in If-Match: 428 without one, 412 for another. An ICE restart (other ICE
// credentials) is answered 422, which the RFC asks of a server that trickles but does not
// restart: the ICE session goes on unchanged, and a client that needs a new one publishes anew.
func (c *Controller) iceTrickle(ctx echo.Context) error {
	r := ctx.Request()
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != trickleType {
		return plainError(ctx, &Error{Code: http.StatusUnsupportedMediaType,
			Message: "the body must be sent as " + trickleType + ", not " + quoteOrNone(r.Header.Get("Content-Type"))})
	}
	id, session := ctx.Param("streamId"), ctx.Param("session")
	tag, err := c.svc.hub.ICETag(id, session)
	if err != nil {
		return plainError(ctx, hubError(err))
	}
	if code := ifMatchStatus(r.Header.Values("If-Match"), tag); code != 0 {
		msg := "If-Match must name the ICE session's ETag, given with the SDP answer"
		if code == http.StatusPreconditionFailed {
			msg = "If-Match names another ICE session than this one's"
		}
		return plainError(ctx, &Error{Code: code, Message: msg})
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxOfferSize+1))
	switch {
	case err != nil:
		return plainError(ctx, &Error{Code: http.StatusBadRequest, Message: "cannot read the SDP fragment"})
	case len(body) > maxOfferSize:
		return plainError(ctx, &Error{Code: http.StatusRequestEntityTooLarge, Message: "the SDP fragment is larger than 64 KiB"})
	case len(bytes.TrimSpace(body)) == 0:
		return plainError(ctx, &Error{Code: http.StatusBadRequest, Message: "the request carries no SDP fragment"})
	}
	if err := c.svc.hub.Trickle(id, session, string(body)); err != nil {
		return plainError(ctx, hubError(err))
	}
	return ctx.NoContent(http.StatusNoContent)
}

func quoteOrNone(s string) string {
	if s == "" {
		return "none"
	}
	return `"` + s + `"`
}

// ifMatchStatus evaluates If-Match (RFC 9110 13.1.1) against the current strong entity tag:
// 0 when it matches (or is "*"), 428 Precondition Required when absent (RFC 9725 asks for it
// on every PATCH), 412 Precondition Failed otherwise. Weak tags never match.
func ifMatchStatus(values []string, tag string) int {
	if len(values) == 0 {
		return http.StatusPreconditionRequired
	}
	list := strings.Join(values, ",")
	if strings.TrimSpace(list) == "*" {
		return 0
	}
	for rest := list; ; {
		rest = strings.TrimLeft(rest, " \t,")
		if rest == "" {
			return http.StatusPreconditionFailed
		}
		weak := strings.HasPrefix(rest, "W/")
		if weak {
			rest = rest[2:]
		}
		if !strings.HasPrefix(rest, `"`) {
			return http.StatusPreconditionFailed
		}
		end := strings.IndexByte(rest[1:], '"')
		if end < 0 {
			return http.StatusPreconditionFailed
		}
		if !weak && rest[1:1+end] == tag {
			return 0
		}
		rest = rest[2+end:]
	}
}
