package controller

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"mediapush/rooms"
)

// dialSignalling opens /live/websocket of a node served on loopback.
func dialSignalling(t *testing.T, c *Controller, origin string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	srv := httptest.NewServer(c.Handler())
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	ws, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/live/websocket", &websocket.DialOptions{HTTPHeader: h})
	if ws != nil {
		t.Cleanup(func() { ws.CloseNow() })
	}
	return ws, resp, err
}

func roundTrip(t *testing.T, ws *websocket.Conn, cmd map[string]any) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, _ := json.Marshal(cmd)
	if err := ws.Write(ctx, websocket.MessageText, out); err != nil {
		t.Fatal(err)
	}
	_, in, err := ws.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(in, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// The SDK's WebSocket is a participants' route: an API token does not close it, stream tokens
// guard what it publishes; pages of any origin connect, unless the participant origins are
// restricted.
func TestSignallingIsAParticipantRoute(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	c := openNode(t, func(cfg *Config) {
		cfg.APIToken = "control-token"
		cfg.Rooms.TokenSecret = secret
	})
	ws, _, err := dialSignalling(t, c, "")
	if err != nil {
		t.Fatalf("a participant without the API token cannot connect: %v", err)
	}
	if m := roundTrip(t, ws, map[string]any{"command": "ping"}); m["command"] != "pong" {
		t.Errorf("ping: %v", m)
	}
	m := roundTrip(t, ws, map[string]any{"command": "publish", "streamId": "s1", "mainTrack": "r1"})
	if m["command"] != "error" || m["definition"] != "unauthorized_access" {
		t.Errorf("publish without a stream token: %v", m)
	}
	m = roundTrip(t, ws, map[string]any{"command": "publish", "streamId": "r1_composite"})
	if m["definition"] != "invalid_stream_id" || !strings.Contains(m["message"].(string), "reserved") {
		t.Errorf("publish of a recording's id: %v", m)
	}
	token, err := c.hub.Token("r1", rooms.Publish, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if m := roundTrip(t, ws, map[string]any{"command": "publish", "streamId": "s1", "mainTrack": "r1", "token": token}); m["command"] != "start" {
		t.Errorf("publish with the room's token: %v", m)
	}
	if _, _, err := dialSignalling(t, c, "https://app.example.com"); err != nil {
		t.Errorf("a page of another origin cannot connect by default: %v", err)
	}
	restricted := openNode(t, func(cfg *Config) { cfg.ParticipantOrigins = []string{"https://app.example.com"} })
	if _, resp, err := dialSignalling(t, restricted, "https://evil.example.com"); err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("a page of another origin connected (%v)", err)
	}
	if _, _, err := dialSignalling(t, restricted, "https://app.example.com"); err != nil {
		t.Errorf("a page of an allowed origin cannot connect: %v", err)
	}
}
