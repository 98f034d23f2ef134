package controller

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/rs/zerolog"
)

// openNode opens a node on a fresh data directory; no session is started, so no browser runs.
func openNode(t *testing.T, options ...func(*Config)) *Controller {
	t.Helper()
	cfg := Config{DataDir: t.TempDir(), Log: zerolog.Nop()}
	for _, o := range options {
		o(&cfg)
	}
	c, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c.Close(ctx) //nolint:errcheck // nothing ran
	})
	return c
}

// request is a call as the node sees it: from remote (host:port), with headers.
type request struct {
	method, path, remote, body string
	header                     map[string]string
}

func (c *Controller) serve(r request) *httptest.ResponseRecorder {
	var body *strings.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	} else {
		body = strings.NewReader("")
	}
	req := httptest.NewRequest(r.method, "http://127.0.0.1:5080"+r.path, body)
	if r.body == "" {
		req.ContentLength = 0
	}
	req.RemoteAddr = r.remote
	for k, v := range r.header {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	c.Handler().ServeHTTP(rec, req)
	return rec
}

const (
	local  = "127.0.0.1:40000"
	remote = "192.0.2.10:40000" // documentation range: never dialled, only named
)

func TestControlAnswersOnlyLocalCallersWithoutToken(t *testing.T) {
	c := openNode(t)
	controlRoutes := []request{
		{method: "GET", path: "/live/rest/v2/vods/list/0/10"},
		{method: "GET", path: "/live/rest/v2/broadcasts/x"},
		{method: "POST", path: "/live/rest/v1/media-push/stop/x"},
		{method: "POST", path: "/live/rest/v1/media-push/rooms/r1/recording/stop"},
		{method: "GET", path: "/v2/monitor/recordings"},
		{method: "GET", path: "/live/streams/x-20260101-000000.mp4"},
	}
	for _, r := range controlRoutes {
		r.remote = remote
		if got := c.serve(r); got.Code != http.StatusForbidden || !strings.Contains(got.Body.String(), "only callers on this machine") {
			t.Errorf("%s %s from another host: %d %s, want 403", r.method, r.path, got.Code, got.Body)
		}
		r.remote = local
		if got := c.serve(r); got.Code == http.StatusForbidden || got.Code == http.StatusUnauthorized {
			t.Errorf("%s %s from this machine: %d %s", r.method, r.path, got.Code, got.Body)
		}
		// A reverse proxy on this machine relays other hosts' calls: not local.
		r.header = map[string]string{"X-Forwarded-For": "198.51.100.7"}
		if got := c.serve(r); got.Code != http.StatusForbidden {
			t.Errorf("%s %s relayed by a local proxy: %d, want 403", r.method, r.path, got.Code)
		}
	}
	// The participants' routes stay open to the network.
	for _, r := range []request{
		{method: "GET", path: "/live/multitrack-play.html"},
		{method: "GET", path: "/live/rest/v2/rooms/r1/participants"},
		{method: "GET", path: "/healthz"},
	} {
		r.remote = remote
		if got := c.serve(r); got.Code != http.StatusOK {
			t.Errorf("%s %s from another host: %d %s, want 200", r.method, r.path, got.Code, got.Body)
		}
	}
}

func TestControlNeedsTheTokenOnceSet(t *testing.T) {
	const token = "0123456789-api-token-0123456789"
	jwtSecret := []byte("a-rest-jwt-secret-of-32-bytes-or-more")
	c := openNode(t, func(cfg *Config) { cfg.APIToken = token; cfg.RESTJWTSecret = jwtSecret })
	restJWT := func(secret []byte, exp time.Duration, method jwt.SigningMethod) string {
		s, err := jwt.NewWithClaims(method, jwt.MapClaims{"exp": time.Now().Add(exp).Unix()}).SignedString(secret)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"exp": time.Now().Add(time.Hour).Unix()}).SignedString(jwt.UnsafeAllowNoneSignatureType)
	for _, cred := range []struct {
		name, header string
		ok           bool
	}{
		{"none", "", false},
		{"wrong", "Bearer wrong", false},
		{"a prefix of the token", "Bearer " + token[:len(token)-1], false},
		{"the token", "Bearer " + token, true},
		{"a REST JWT", "Bearer " + restJWT(jwtSecret, time.Hour, jwt.SigningMethodHS256), true},
		{"a bare REST JWT (Ant Media's form)", restJWT(jwtSecret, time.Hour, jwt.SigningMethodHS256), true},
		{"an expired REST JWT", restJWT(jwtSecret, -time.Hour, jwt.SigningMethodHS256), false},
		{"a REST JWT of another key", restJWT([]byte("another-secret-another-secret-00"), time.Hour, jwt.SigningMethodHS256), false},
		{"alg none", none, false},
	} {
		for _, from := range []string{local, remote} {
			r := request{method: "GET", path: "/live/rest/v2/vods/list/0/10", remote: from,
				header: map[string]string{"Authorization": cred.header}}
			got := c.serve(r)
			if cred.ok != (got.Code == http.StatusOK) {
				t.Errorf("%s credential from %s: %d %s", cred.name, from, got.Code, got.Body)
			}
		}
	}
}

func TestCrossSiteAndForeignHostRefused(t *testing.T) {
	c := openNode(t, func(cfg *Config) {
		cfg.AllowedHosts = []string{"rec.example.com"}
		cfg.AllowedOrigins = []string{"https://app.example.com"}
	})
	start := `{"url":"http://127.0.0.1:1/page.html"}`
	for _, r := range []struct {
		name string
		req  request
		code int
		msg  string
	}{
		{"text/plain start (a cross-site form or fetch)", request{method: "POST", path: "/live/rest/v1/media-push/start?streamId=a", body: start,
			header: map[string]string{"Content-Type": "text/plain"}}, http.StatusUnsupportedMediaType, "application/json"},
		{"form-encoded start", request{method: "POST", path: "/live/rest/v1/media-push/start?streamId=a", body: start,
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, http.StatusUnsupportedMediaType, "application/json"},
		{"start from another origin", request{method: "POST", path: "/live/rest/v1/media-push/start?streamId=a", body: start,
			header: map[string]string{"Content-Type": "application/json", "Origin": "https://evil.example"}}, http.StatusForbidden, "origin"},
		{"start from an opaque origin", request{method: "POST", path: "/live/rest/v1/media-push/start?streamId=a", body: start,
			header: map[string]string{"Content-Type": "application/json", "Origin": "null"}}, http.StatusForbidden, "origin"},
		{"read marked cross-site by the browser", request{method: "GET", path: "/live/rest/v2/vods/list/0/10",
			header: map[string]string{"Sec-Fetch-Site": "cross-site"}}, http.StatusForbidden, "cross-site"},
		{"a rebinding name in Host", request{method: "GET", path: "/live/rest/v2/vods/list/0/10",
			header: map[string]string{"Host": "attacker.example:5080"}}, http.StatusMisdirectedRequest, "--allowed-host"},
		{"a rebinding name on a page", request{method: "GET", path: "/live/multitrack-play.html",
			header: map[string]string{"Host": "attacker.example"}}, http.StatusMisdirectedRequest, "--allowed-host"},
		{"an allowed origin", request{method: "GET", path: "/live/rest/v2/vods/list/0/10",
			header: map[string]string{"Origin": "https://app.example.com", "Sec-Fetch-Site": "cross-site"}}, http.StatusOK, ""},
		{"the same origin", request{method: "GET", path: "/live/rest/v2/vods/list/0/10",
			header: map[string]string{"Origin": "http://127.0.0.1:5080", "Sec-Fetch-Site": "same-origin"}}, http.StatusOK, ""},
		{"a configured name", request{method: "GET", path: "/live/rest/v2/vods/list/0/10",
			header: map[string]string{"Host": "rec.example.com"}}, http.StatusOK, ""},
		{"localhost", request{method: "GET", path: "/live/rest/v2/vods/list/0/10",
			header: map[string]string{"Host": "localhost:5080"}}, http.StatusOK, ""},
	} {
		r.req.remote = local
		got := c.serve(r.req)
		if got.Code != r.code || !strings.Contains(got.Body.String(), r.msg) {
			t.Errorf("%s: %d %s, want %d naming %q", r.name, got.Code, got.Body, r.code, r.msg)
		}
	}
}

func TestReservedIDs(t *testing.T) {
	c := openNode(t)
	for _, id := range []string{"room1_composite", "conf_mix_default", "conf_rtmp_default"} {
		got := c.serve(request{method: "POST", path: "/live/rest/v1/media-push/start?streamId=" + id, remote: local,
			body: `{"url":"http://127.0.0.1:1/"}`, header: map[string]string{"Content-Type": "application/json"}})
		if !strings.Contains(got.Body.String(), "is reserved") {
			t.Errorf("start %s: %d %s, want it reserved", id, got.Code, got.Body)
		}
		got = c.serve(request{method: "POST", path: "/live/whip/" + id + "?mainTrack=room1", remote: remote,
			body: "v=0\r\n", header: map[string]string{"Content-Type": "application/sdp"}})
		if got.Code != http.StatusForbidden || !strings.Contains(got.Body.String(), "is reserved") {
			t.Errorf("publish %s: %d %s, want 403 reserved", id, got.Code, got.Body)
		}
	}
	for _, id := range []string{"room1", "composite", "mixer", "my_mix"} {
		if err := checkNotReserved(id); err != nil {
			t.Errorf("%s: %v", id, err)
		}
	}
}

func TestSignPlaylist(t *testing.T) {
	in := "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-MAP:URI=\"a_init.mp4\"\n#EXTINF:2.0,\na_00001.m4s\r\n#EXTINF:2.0,\nhttps://cdn/x.m4s\n#EXT-X-ENDLIST\n"
	got := string(signPlaylist([]byte(in), func(name string) string { return "sig=" + name }))
	want := "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-MAP:URI=\"a_init.mp4?sig=a_init.mp4\"\n#EXTINF:2.0,\na_00001.m4s?sig=a_00001.m4s\n#EXTINF:2.0,\nhttps://cdn/x.m4s\n#EXT-X-ENDLIST\n"
	if got != want {
		t.Errorf("signed playlist:\n%s\nwant:\n%s", got, want)
	}
}

func TestAccessConfigRefused(t *testing.T) {
	for _, cfg := range []Config{
		{RESTJWTSecret: []byte("short")},
		{AllowedOrigins: []string{"app.example.com"}},
		{AllowedOrigins: []string{"https://app.example.com/path"}},
		{AllowedHosts: []string{"a/b"}},
	} {
		if _, err := newAccess(cfg); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
}

// TestSignedRecordings opens recordings to another host through signed URLs only, and a signed
// playlist's segments through the signatures it carries.
func TestSignedRecordings(t *testing.T) {
	c := openNode(t)
	streams := filepath.Join(c.cfg.DataDir, "streams")
	if err := os.MkdirAll(streams, 0o750); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"s-20260101-000000.m3u8":      "#EXTM3U\n#EXT-X-MAP:URI=\"s-20260101-000000_init.mp4\"\n#EXTINF:2.0,\ns-20260101-000000_00001.m4s\n#EXT-X-ENDLIST\n",
		"s-20260101-000000_init.mp4":  "init",
		"s-20260101-000000_00001.m4s": "segment",
		"s-20260101-000000-other.m4s": "not in the playlist",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(streams, name), []byte(body), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	get := func(path string) *httptest.ResponseRecorder {
		return c.serve(request{method: "GET", path: path, remote: remote})
	}
	if got := get("/live/streams/s-20260101-000000_00001.m4s"); got.Code != http.StatusForbidden {
		t.Errorf("an unsigned segment from another host: %d", got.Code)
	}
	q := c.svc.delivery.signer.Sign("/streams/s-20260101-000000.m3u8", time.Now().Add(time.Minute))
	playlist := get("/live/streams/s-20260101-000000.m3u8?" + q)
	if playlist.Code != http.StatusOK {
		t.Fatalf("the signed playlist: %d %s", playlist.Code, playlist.Body)
	}
	var uris []string
	for _, line := range strings.Split(playlist.Body.String(), "\n") {
		if m := mapURI.FindStringSubmatch(line); m != nil {
			uris = append(uris, m[1])
		} else if line != "" && !strings.HasPrefix(line, "#") {
			uris = append(uris, line)
		}
	}
	if len(uris) != 2 {
		t.Fatalf("playlist URIs %v in\n%s", uris, playlist.Body)
	}
	for _, u := range uris {
		if got := get("/live/streams/" + u); got.Code != http.StatusOK || got.Body.String() == "" {
			t.Errorf("%s from the signed playlist: %d", u, got.Code)
		}
	}
	// A segment's signature opens that segment only.
	_, sig, _ := strings.Cut(uris[1], "?")
	if got := get("/live/streams/s-20260101-000000-other.m4s?" + sig); got.Code != http.StatusForbidden {
		t.Errorf("another file with a segment's signature: %d", got.Code)
	}
}
