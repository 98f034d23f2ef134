package controller

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestRemixPagesServeOnlyTheOwnPages(t *testing.T) {
	p, err := openRemixPages(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	if !strings.HasPrefix(p.base, "http://127.0.0.1:") {
		t.Fatalf("remix pages at %s, want a loopback address", p.base)
	}
	get := func(method, path string) (int, string) {
		req, _ := http.NewRequest(method, p.url(path), nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get(http.MethodGet, "/live/multitrack-play.html?id=r&layout=grid"); code != http.StatusOK || !strings.Contains(body, "room.js") {
		t.Errorf("the room page: HTTP %d", code)
	}
	if code, body := get(http.MethodGet, "/other_app/remix.js"); code != http.StatusOK || !strings.Contains(body, "export") {
		t.Errorf("remix.js of another application: HTTP %d", code)
	}
	for _, bad := range []string{"/live/nothing.html", "/live/../embed.go", "/multitrack-play.html", "/live/x/room.js", "/bad app/room.js", "/live/"} {
		if code, _ := get(http.MethodGet, bad); code != http.StatusNotFound {
			t.Errorf("GET %s: HTTP %d, want 404", bad, code)
		}
	}
	if code, _ := get(http.MethodPost, "/live/room.js"); code != http.StatusNotFound {
		t.Errorf("POST: HTTP %d, want 404", code)
	}
}
