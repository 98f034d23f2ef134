package controller

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
)

// whipCORS lets web apps on other origins publish and play with WHIP and WHEP from a browser
// (RFC 9725 asks WHIP endpoints to answer CORS preflights). By default any origin may: WHIP and
// WHEP requests carry their own bearer token (a stream token) in the Authorization header, never
// a cookie, so the answers allow no credentials and "*" exposes nothing a page could not fetch
// with the token anyway. Config.ParticipantOrigins restricts it to a list. The control routes keep
// their own, stricter Origin checks (access.go).
//
// echo's CORS middleware is not used: it answers every OPTIONS request itself with 204, where
// WHIP's OPTIONS answer carries Accept-Post, and it matches origins by pattern, where a list
// here means exactly those origins.
type whipCORS struct {
	any     bool            // no list configured, or "*" in it
	origins map[string]bool // scheme://host[:port], lower case
}

// The CORS answers of WHIP and WHEP resources.
const (
	whipAllowMethods  = "POST, PATCH, DELETE, OPTIONS"
	whipAllowHeaders  = "Authorization, Content-Type, If-Match"
	whipExposeHeaders = "Location, Link, ETag"
	whipMaxAge        = "7200" // the most Chromium keeps a preflight's answer
)

func newWHIPCORS(list []string) (whipCORS, error) {
	w := whipCORS{any: len(list) == 0, origins: map[string]bool{}}
	for _, o := range list {
		if strings.TrimSpace(o) == "*" {
			w.any = true
			continue
		}
		u, err := url.Parse(strings.TrimSpace(o))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") ||
			u.RawQuery != "" || u.User != nil || u.Fragment != "" {
			return w, fmt.Errorf("WHIP allowed origin %q is not an origin like https://app.example.com (or *)", o)
		}
		w.origins[strings.ToLower(u.Scheme+"://"+u.Host)] = true
	}
	return w, nil
}

// allows reports whether a browser page of origin may use WHIP/WHEP: any origin, a listed
// one, or this server's own pages.
func (w whipCORS) allows(r *http.Request, origin string) bool {
	if w.any || w.origins[strings.ToLower(origin)] {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host)
}

// middleware answers the CORS side of a WHIP/WHEP request and refuses a browser page of an
// origin not allowed (its preflight fails, so the browser never sends the request itself).
func (w whipCORS) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(ctx echo.Context) error {
		r, h := ctx.Request(), ctx.Response().Header()
		h.Add(echo.HeaderVary, echo.HeaderOrigin)
		origin := r.Header.Get(echo.HeaderOrigin)
		if origin == "" {
			return next(ctx)
		}
		if !w.allows(r, origin) {
			return ctx.String(http.StatusForbidden, fmt.Sprintf(
				"WHIP and WHEP requests from origin %q are refused: allow it with --participant-origin\n", origin))
		}
		if w.any {
			h.Set(echo.HeaderAccessControlAllowOrigin, "*")
		} else {
			h.Set(echo.HeaderAccessControlAllowOrigin, origin)
		}
		h.Set(echo.HeaderAccessControlExposeHeaders, whipExposeHeaders)
		if r.Method == http.MethodOptions && r.Header.Get(echo.HeaderAccessControlRequestMethod) != "" {
			h.Set(echo.HeaderAccessControlAllowMethods, whipAllowMethods)
			h.Set(echo.HeaderAccessControlAllowHeaders, whipAllowHeaders)
			h.Set(echo.HeaderAccessControlMaxAge, whipMaxAge)
		}
		return next(ctx)
	}
}

// whipEndpointOptions answers OPTIONS on a WHIP or WHEP endpoint: what it takes (RFC 9725
// 4.2). No Link header: this server has no STUN or TURN server to hand out.
func whipEndpointOptions(ctx echo.Context) error {
	h := ctx.Response().Header()
	h.Set("Accept-Post", "application/sdp")
	h.Set(echo.HeaderAllow, "POST, OPTIONS")
	return ctx.NoContent(http.StatusOK)
}

// whipSessionOptions answers OPTIONS on a WHIP or WHEP session: trickle ICE by PATCH.
func whipSessionOptions(ctx echo.Context) error {
	h := ctx.Response().Header()
	h.Set("Accept-Patch", trickleType)
	h.Set(echo.HeaderAllow, "PATCH, DELETE, OPTIONS")
	return ctx.NoContent(http.StatusOK)
}
