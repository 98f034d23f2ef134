package controller

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/labstack/echo/v4"

	"mediapush/rooms"
	"mediapush/signalling"
)

// signallingRoutes serves Ant Media's JS SDK signalling. It is a participants' route, as WHIP
// and WHEP are: open to the network, with the stream tokens guarding publish and play.
func (c *Controller) signallingRoutes(app *echo.Group) {
	app.GET("/websocket", echo.WrapHandler(c.signalling))
}

// newSignalling makes the SDK's signalling server over the node's conference server. As with
// WHIP and WHEP, pages of any origin may connect unless Config.ParticipantOrigins names them:
// the socket carries stream tokens in its messages, never a cookie, so a page elsewhere gains
// nothing it could not do with the token itself.
func newSignalling(cfg Config, svc *Service, hub *rooms.Hub) *signalling.Server {
	patterns := []string{"*"}
	if len(cfg.ParticipantOrigins) > 0 && !slices.Contains(cfg.ParticipantOrigins, "*") {
		patterns = nil
		for _, o := range cfg.ParticipantOrigins {
			if u, err := url.Parse(o); err == nil && u.Host != "" {
				patterns = append(patterns, u.Host)
			}
		}
	}
	return signalling.New(signalling.Config{Hub: hub, Backend: signallingBackend{svc}, OriginPatterns: patterns,
		MaxViewers: cfg.Rooms.MaxViewers, OnNotice: svc.onNotice, Log: cfg.Log})
}

// Signalling is the node's JS SDK signalling server.
func (c *Controller) Signalling() *signalling.Server { return c.signalling }

// signallingBackend gives the signalling the service's rules and Broadcasts.
type signallingBackend struct{ svc *Service }

func (signallingBackend) CheckID(id string) error { return validStreamID(id) }

func (signallingBackend) CheckPublishID(id string) error {
	if err := validStreamID(id); err != nil {
		return err
	}
	return checkNotReserved(id)
}

func (signallingBackend) CheckName(name string) error { return checkName(name) }

func (signallingBackend) NewStreamID() string { return newStreamID() }

func (b signallingBackend) Broadcast(ctx context.Context, id string) ([]byte, error) {
	br, err := b.svc.Broadcast(ctx, id)
	var se *Error
	if errors.As(err, &se) && se.Code == http.StatusNotFound {
		return nil, fmt.Errorf("%s: %w", se.Message, rooms.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return json.Marshal(br)
}
