package controller

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"mediapush/catalog"
	"mediapush/rooms"
)

func TestRoomsListedToControlCallersOnly(t *testing.T) {
	c := openNode(t)
	if got := c.serve(request{method: "GET", path: "/api/v1/rooms", remote: local}); got.Code != http.StatusOK || got.Body.String() != "[]\n" {
		t.Errorf("no room: %d %q, want 200 []", got.Code, got.Body)
	}
	if got := c.serve(request{method: "GET", path: "/api/v1/rooms", remote: remote}); got.Code != http.StatusUnauthorized && got.Code != http.StatusForbidden {
		t.Errorf("from another host without the token: %d, want it refused", got.Code)
	}
}

// The URL handed to a player works from anywhere until it expires; the bare path does not.
func TestVoDURLIsSignedForPlayers(t *testing.T) {
	c := openNode(t)
	streams := filepath.Join(c.cfg.DataDir, "streams")
	if err := os.MkdirAll(streams, 0o750); err != nil {
		t.Fatal(err)
	}
	const name = "s-20260101-000000.mp4"
	if err := os.WriteFile(filepath.Join(streams, name), []byte("a recording"), 0o640); err != nil {
		t.Fatal(err)
	}
	v := catalog.VoD{VodID: "v1", VodName: name, StreamID: "s", FilePath: "streams/" + name, Type: "streamVod",
		Format: "mp4", Kind: "mix", Storage: "local"}
	if err := c.cat.AddVoD(context.Background(), v); err != nil {
		t.Fatal(err)
	}
	got := c.serve(request{method: "GET", path: "/api/v1/vods/v1/url", remote: local})
	var answer struct {
		URL     string `json:"url"`
		Expires int    `json:"expiresInSeconds"`
	}
	if got.Code != http.StatusOK || json.Unmarshal(got.Body.Bytes(), &answer) != nil || answer.Expires <= 0 {
		t.Fatalf("the VoD's URL: %d %s", got.Code, got.Body)
	}
	u, err := url.Parse(answer.URL)
	if err != nil {
		t.Fatal(err)
	}
	if file := c.serve(request{method: "GET", path: u.RequestURI(), remote: remote}); file.Code != http.StatusOK || file.Body.String() != "a recording" {
		t.Errorf("the signed URL from another host: %d %q", file.Code, file.Body)
	}
	if file := c.serve(request{method: "GET", path: u.Path, remote: remote}); file.Code == http.StatusOK {
		t.Errorf("the unsigned path from another host answered 200")
	}
	if missing := c.serve(request{method: "GET", path: "/api/v1/vods/none/url", remote: local}); missing.Code != http.StatusNotFound {
		t.Errorf("an unknown VoD's URL: %d, want 404", missing.Code)
	}
}

func TestPlayTokenOnlyForAStreamID(t *testing.T) {
	secret := []byte("a-secret-of-at-least-32-characters!!")
	c := openNode(t, func(cfg *Config) { cfg.Rooms.TokenSecret = secret })
	for _, bad := range []string{"a%20b", "..", "x%3Cy"} {
		if got := c.serve(request{method: "GET", path: "/api/v1/streams/" + bad + "/play-token", remote: local}); got.Code != http.StatusBadRequest {
			t.Errorf("play token for %q: %d, want 400", bad, got.Code)
		}
	}
	got := c.serve(request{method: "GET", path: "/api/v1/streams/alice/play-token", remote: local})
	var answer struct {
		Token string `json:"token"`
	}
	if got.Code != http.StatusOK || json.Unmarshal(got.Body.Bytes(), &answer) != nil || answer.Token == "" {
		t.Fatalf("play token: %d %s", got.Code, got.Body)
	}
	if err := c.svc.hub.Authorize(answer.Token, rooms.Play, "alice", ""); err != nil {
		t.Errorf("the play token does not let its holder play alice: %v", err)
	}
	if err := c.svc.hub.Authorize(answer.Token, rooms.Play, "bob", ""); err == nil {
		t.Errorf("alice's play token lets its holder play bob")
	}
	off := openNode(t)
	got = off.serve(request{method: "GET", path: "/api/v1/streams/alice/play-token", remote: local})
	if got.Code != http.StatusOK || got.Body.String() != "{\"token\":\"\"}\n" {
		t.Errorf("play token with stream tokens off: %d %q, want an empty token", got.Code, got.Body)
	}
}
