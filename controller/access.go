package controller

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/labstack/echo/v4"
)

// Who may call what. mediapush has two kinds of callers:
//
//   - participants: WHIP publishers, WHEP viewers, the pages and the room participant list that
//     layout pages poll. They come from anywhere and are guarded by stream tokens when
//     MEDIAPUSH_TOKEN_SECRET is set.
//   - controllers: the REST, Dolby and Monitor routes and the recordings under /{app}/streams.
//     Until an API token (or a REST JWT secret) is configured they answer only callers on this
//     machine, as Ant Media's REST does out of the box; once one is configured every control call
//     must carry it, local or not, because a page that mediapush itself records runs on this
//     machine too.
//
// Every route also checks the Host header (no DNS rebinding), and control routes refuse
// browsers' cross-site requests (Origin, Sec-Fetch-Site), so neither a page in somebody's
// browser nor a page being recorded can drive the service.

// access is the node's access policy, from Config.
type access struct {
	apiToken  []byte
	jwtSecret []byte
	hosts     map[string]bool // allowed Host names besides IP literals and localhost, lower case
	origins   map[string]bool // allowed cross-origin callers, scheme://host[:port]
}

// MinRESTJWTSecretLen is the shortest REST JWT secret accepted: HS256 wants a key as long as its output.
const MinRESTJWTSecretLen = 32

func newAccess(cfg Config) (access, error) {
	a := access{apiToken: []byte(cfg.APIToken), jwtSecret: cfg.RESTJWTSecret,
		hosts: map[string]bool{}, origins: map[string]bool{}}
	if len(a.jwtSecret) > 0 && len(a.jwtSecret) < MinRESTJWTSecretLen {
		return a, fmt.Errorf("the REST JWT secret must be at least %d bytes", MinRESTJWTSecretLen)
	}
	for _, raw := range []string{cfg.PublicURL, cfg.BaseURL} {
		if u, err := url.Parse(raw); err == nil && u.Hostname() != "" {
			a.hosts[strings.ToLower(u.Hostname())] = true
		}
	}
	for _, h := range cfg.AllowedHosts {
		name, err := hostName(h)
		if err != nil {
			return a, fmt.Errorf("allowed host %q: %w", h, err)
		}
		a.hosts[name] = true
	}
	for _, o := range cfg.AllowedOrigins {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			return a, fmt.Errorf("allowed origin %q is not an origin like https://app.example.com", o)
		}
		a.origins[strings.ToLower(u.Scheme+"://"+u.Host)] = true
	}
	return a, nil
}

// secured reports whether control calls need a credential.
func (a access) secured() bool { return len(a.apiToken) > 0 || len(a.jwtSecret) > 0 }

var errHostSyntax = errors.New("not a host name")

// hostName is the lower-case name of a Host header or host[:port] value, without the port: an
// IP literal or a DNS name (letters, digits, '.', '-', '_'; international names in their xn--
// form). Anything else, a NUL or a control character say, could make "evil\x00.localhost" pass
// as a localhost name.
func hostName(hostport string) (string, error) {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
	if _, err := netip.ParseAddr(host); err == nil {
		return host, nil
	}
	if host == "" || strings.Trim(host, "abcdefghijklmnopqrstuvwxyz0123456789.-_") != "" {
		return "", errHostSyntax
	}
	return host, nil
}

// hostAllowed accepts IP literals (a rebinding attack needs a name), localhost and the
// configured names.
func (a access) hostAllowed(hostport string) bool {
	host, err := hostName(hostport)
	if err != nil {
		return false
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return true
	}
	return host == "localhost" || strings.HasSuffix(host, ".localhost") || a.hosts[host]
}

// checkHost refuses requests whose Host is not one of this server's names.
func (c *Controller) checkHost(next echo.HandlerFunc) echo.HandlerFunc {
	return func(ctx echo.Context) error {
		// Health and readiness probes come by whatever name the prober knows the node by.
		if ctx.Path() == "/healthz" || ctx.Path() == "/readyz" || c.access.hostAllowed(ctx.Request().Host) {
			return next(ctx)
		}
		return ctx.JSON(http.StatusMisdirectedRequest, failed(fmt.Sprintf(
			"Host %q is not a name of this server: add it with --allowed-host (or --public-url)", ctx.Request().Host), ""))
	}
}

// control guards the control routes: browsers' cross-site requests are refused, then the
// caller must be on this machine (no credential configured) or carry the API token or a REST JWT.
func (c *Controller) control(next echo.HandlerFunc) echo.HandlerFunc {
	return func(ctx echo.Context) error {
		if err := c.controlAllowed(ctx.Request()); err != nil {
			return answer(ctx, err, "", false)
		}
		return next(ctx)
	}
}

func (c *Controller) controlAllowed(r *http.Request) error {
	if err := c.access.sameOrigin(r); err != nil {
		return err
	}
	if !c.access.secured() {
		if !isLocal(r) {
			return &Error{Code: http.StatusForbidden, Message: "the control API answers only callers on this machine until an API token is set (MEDIAPUSH_API_TOKEN)"}
		}
		return nil
	}
	if !c.access.credentialValid(r.Header.Get("Authorization")) {
		return &Error{Code: http.StatusUnauthorized, Message: "a valid API token is required (Authorization: Bearer …)"}
	}
	return nil
}

// sameOrigin refuses what a browser sends on behalf of another site: a request whose Origin is
// neither this server nor an allowed origin, or that the browser itself marks cross-site.
func (a access) sameOrigin(r *http.Request) error {
	origin := r.Header.Get("Origin")
	if origin != "" {
		if a.origins[strings.ToLower(origin)] {
			return nil
		}
		u, err := url.Parse(origin)
		if err != nil || !strings.EqualFold(u.Host, r.Host) {
			return &Error{Code: http.StatusForbidden, Message: fmt.Sprintf("requests from origin %q are refused: allow it with --allowed-origin", origin)}
		}
	}
	switch r.Header.Get("Sec-Fetch-Site") {
	case "cross-site", "same-site":
		return &Error{Code: http.StatusForbidden, Message: "cross-site requests are refused: allow the calling origin with --allowed-origin"}
	}
	return nil
}

// credentialValid accepts the API token or a REST JWT, sent as "Bearer <credential>" or bare
// (Ant Media's JWT filter reads the header as it is).
func (a access) credentialValid(header string) bool {
	cred := strings.TrimSpace(header)
	if after, ok := strings.CutPrefix(cred, "Bearer "); ok {
		cred = strings.TrimSpace(after)
	}
	if cred == "" {
		return false
	}
	if len(a.apiToken) > 0 && subtle.ConstantTimeCompare([]byte(cred), a.apiToken) == 1 {
		return true
	}
	return len(a.jwtSecret) > 0 && restJWTValid(cred, a.jwtSecret)
}

// restJWTValid checks an Ant Media REST JWT: HS256 over the secret, with an expiry.
func restJWTValid(token string, secret []byte) bool {
	_, err := jwt.Parse(token, func(*jwt.Token) (any, error) { return secret, nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithExpirationRequired(), jwt.WithLeeway(5*time.Second))
	return err == nil
}

// isLocal reports a caller on this machine: a loopback peer that is not relaying anybody else's
// request (a reverse proxy or mediapush's own destination proxy say so in a forwarding header).
func isLocal(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.Unmap().IsLoopback() {
		return false
	}
	for _, h := range []string{"Forwarded", "X-Forwarded-For", "X-Real-Ip"} {
		if r.Header.Get(h) != "" {
			return false
		}
	}
	return true
}

// requireJSON refuses a request body that is not declared as JSON: a browser may send
// text/plain or a form across sites without asking first, never application/json. A request
// without a body passes, for the calls whose body is optional.
func requireJSON(next echo.HandlerFunc) echo.HandlerFunc {
	return func(ctx echo.Context) error {
		if err := checkJSONBody(ctx.Request()); err != nil {
			return answer(ctx, err, "", false)
		}
		return next(ctx)
	}
}

// checkJSONBody is requireJSON's check: a 415 Error for a body not declared as JSON.
func checkJSONBody(r *http.Request) error {
	if r.ContentLength == 0 && r.Header.Get("Content-Type") == "" {
		return nil
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return &Error{Code: http.StatusUnsupportedMediaType, Message: fmt.Sprintf(
			"the body must be sent as Content-Type: application/json, not %q", r.Header.Get("Content-Type"))}
	}
	return nil
}
