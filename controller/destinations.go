package controller

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"mediapush/internal/destination"
)

// openPolicy builds the node's destination policy: the operator's allowances, plus the
// addresses the operator configured for mediapush's own pages (BaseURL, and RoomURL when it
// names a host of its own). The webhook receiver is judged here, so that a refused one stops
// the node from starting rather than failing every delivery.
func openPolicy(cfg Config) (*destination.Policy, error) {
	policy, err := destination.New(cfg.Destinations)
	if err != nil {
		return nil, fmt.Errorf("--allow-destination: %w", err)
	}
	fill := strings.NewReplacer("{app}", "live", "{roomId}", "r", "{token}", "t", "{layout}", "grid")
	for _, configured := range []string{cfg.BaseURL, cfg.RoomURL} {
		if configured == "" || strings.HasPrefix(configured, "{base}") {
			continue
		}
		if hostPort := urlHostPort(fill.Replace(configured)); hostPort != "" {
			if err := policy.Allow(hostPort); err != nil {
				return nil, fmt.Errorf("%s: %w", configured, err)
			}
		}
	}
	if cfg.Webhook.URL != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := policy.CheckURL(ctx, cfg.Webhook.URL); destination.IsRefused(err) {
			return nil, fmt.Errorf("webhook: the receiver's address %w", err)
		} else if err != nil {
			// Not fatal: the receiver may be resolvable later, and is judged at each delivery.
			cfg.Log.Warn().Err(err).Msg("webhook: the receiver cannot be checked yet")
		}
	}
	return policy, nil
}

// urlHostPort is the host:port a URL connects to, or "".
func urlHostPort(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" {
		return ""
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	if port == "" {
		return ""
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// noteSelf makes every address this node is reached on one the policy allows: its pages, API
// and WHEP, which the pages it records load. Only the local end of a connection that arrived
// counts, so a caller cannot name an address of its choosing.
func (c *Controller) noteSelf(next echo.HandlerFunc) echo.HandlerFunc {
	return func(ctx echo.Context) error {
		if a, ok := ctx.Request().Context().Value(http.LocalAddrContextKey).(*net.TCPAddr); ok {
			c.policy.AllowSelf(a.AddrPort())
		}
		return next(ctx)
	}
}

// checkDestination judges a URL the caller asked mediapush to connect to; what names the
// URL in the message ("the page", "the RTMP server"). A refused address is the caller's
// mistake (400); a name that cannot be resolved cannot be reached either (422).
func (s *Service) checkDestination(ctx context.Context, what, raw string) error {
	if s.policy == nil {
		return nil
	}
	err := s.policy.CheckURL(ctx, raw)
	switch {
	case err == nil:
		return nil
	case destination.IsRefused(err):
		return &Error{Code: 400, Message: fmt.Sprintf("%s's address %v", what, err)}
	}
	return &Error{Code: 422, Message: fmt.Sprintf("cannot reach %s: %v", what, err)}
}
