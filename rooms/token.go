package rooms

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Token kinds, as in Ant Media's stream tokens.
const (
	Publish = "publish"
	Play    = "play"
)

// claims are those of Ant Media's JWT stream tokens: the stream (or room) and what it allows.
// RoomID binds a stream's publish token to the one room that stream may join.
type claims struct {
	StreamID string `json:"streamId"`
	Type     string `json:"type"`
	RoomID   string `json:"roomId,omitempty"`
	jwt.RegisteredClaims
}

// Secured reports whether publishing and playing need a token.
func (h *Hub) Secured() bool { return len(h.cfg.TokenSecret) > 0 }

// Authorize checks that token allows kind (Publish or Play) on streamID, which takes part in
// room (may be empty). A token issued for the room covers all of its streams. A stream's own
// publish token joins no room but the one its roomId claim names, so that it cannot carry its
// stream into somebody else's room. Without a TokenSecret everything is allowed.
func (h *Hub) Authorize(token, kind, streamID, room string) error {
	if !h.Secured() {
		return nil
	}
	if token == "" {
		return fmt.Errorf("%w: a %s token is required", ErrUnauthorized, kind)
	}
	var c claims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return h.cfg.TokenSecret, nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithExpirationRequired(), jwt.WithLeeway(5*time.Second))
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return fmt.Errorf("%w: the token has expired", ErrUnauthorized)
	case err != nil:
		return fmt.Errorf("%w: the token is not valid", ErrUnauthorized)
	case c.Type != kind:
		return fmt.Errorf("%w: the token is a %q token, not %s", ErrUnauthorized, c.Type, kind)
	case c.StreamID != streamID && (room == "" || c.StreamID != room):
		return fmt.Errorf("%w: the token is for another stream", ErrUnauthorized)
	case kind == Publish && room != "" && c.StreamID != room && c.RoomID != room:
		return fmt.Errorf("%w: the token does not allow joining room %s", ErrUnauthorized, room)
	}
	return nil
}

// Token issues a token allowing kind on streamID (or on every stream of a room, given its id)
// for ttl.
func (h *Hub) Token(streamID, kind string, ttl time.Duration) (string, error) {
	if !h.Secured() {
		return "", nil
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims{
		StreamID: streamID, Type: kind,
		RegisteredClaims: jwt.RegisteredClaims{ExpiresAt: jwt.NewNumericDate(time.Now().Add(ttl))},
	}).SignedString(h.cfg.TokenSecret)
}
