package controller

import (
	"net/http"
	"strings"
	"testing"

	"github.com/pion/webrtc/v4"
)

const otherOrigin = "http://127.0.0.2:8080"

func preflight(path, origin, method string) request {
	return request{method: "OPTIONS", path: path, remote: remote, header: map[string]string{
		"Origin": origin, "Access-Control-Request-Method": method,
		"Access-Control-Request-Headers": "authorization,content-type"}}
}

func TestWHIPPreflightAnyOrigin(t *testing.T) {
	c := openNode(t)
	for _, r := range []struct{ path, method, accept, value string }{
		{"/live/whip/cam", "POST", "Accept-Post", "application/sdp"},
		{"/live/whep/cam", "POST", "Accept-Post", "application/sdp"},
		{"/live/whip/cam/0123abcd", "PATCH", "Accept-Patch", "application/trickle-ice-sdpfrag"},
		{"/live/whep/cam/0123abcd", "DELETE", "Accept-Patch", "application/trickle-ice-sdpfrag"},
	} {
		rec := c.serve(preflight(r.path, otherOrigin, r.method))
		h := rec.Header()
		if rec.Code != http.StatusOK || h.Get("Access-Control-Allow-Origin") != "*" ||
			!strings.Contains(h.Get("Access-Control-Allow-Methods"), r.method) ||
			!strings.Contains(h.Get("Access-Control-Allow-Headers"), "Authorization") ||
			!strings.Contains(h.Get("Access-Control-Allow-Headers"), "If-Match") ||
			h.Get("Access-Control-Max-Age") == "" || h.Get("Access-Control-Allow-Credentials") != "" ||
			h.Get(r.accept) != r.value {
			t.Errorf("preflight of %s %s: %d %v", r.method, r.path, rec.Code, h)
		}
	}
	// A plain OPTIONS (no CORS) says what the endpoint takes.
	rec := c.serve(request{method: "OPTIONS", path: "/live/whip/cam", remote: remote})
	if rec.Code != http.StatusOK || rec.Header().Get("Accept-Post") != "application/sdp" || rec.Header().Get("Access-Control-Allow-Origin") != "" || rec.Header().Get("Link") != "" {
		t.Errorf("OPTIONS without Origin: %d %v", rec.Code, rec.Header())
	}
	// Answers to the requests themselves carry the origin and expose the WHIP headers.
	rec = c.serve(request{method: "DELETE", path: "/live/whip/cam/0123abcd", remote: remote, header: map[string]string{"Origin": otherOrigin}})
	if rec.Code != http.StatusNotFound || rec.Header().Get("Access-Control-Allow-Origin") != "*" ||
		rec.Header().Get("Access-Control-Expose-Headers") != "Location, Link, ETag" {
		t.Errorf("DELETE from another origin: %d %v", rec.Code, rec.Header())
	}
	// The control API keeps refusing other origins.
	rec = c.serve(request{method: "GET", path: "/live/rest/v2/vods/list/0/10", remote: local, header: map[string]string{"Origin": otherOrigin}})
	if rec.Code != http.StatusForbidden || rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("control call from another origin: %d %v", rec.Code, rec.Header())
	}
}

func TestWHIPPreflightRestricted(t *testing.T) {
	c := openNode(t, func(cfg *Config) { cfg.ParticipantOrigins = []string{"https://app.example.com"} })
	rec := c.serve(preflight("/live/whip/cam", "https://app.example.com", "POST"))
	if rec.Code != http.StatusOK || rec.Header().Get("Access-Control-Allow-Origin") != "https://app.example.com" {
		t.Errorf("listed origin: %d %v", rec.Code, rec.Header())
	}
	rec = c.serve(preflight("/live/whip/cam", otherOrigin, "POST"))
	if rec.Code != http.StatusForbidden || rec.Header().Get("Access-Control-Allow-Origin") != "" ||
		!strings.Contains(rec.Body.String(), "--participant-origin") {
		t.Errorf("origin not listed: %d %v %q", rec.Code, rec.Header(), rec.Body.String())
	}
	rec = c.serve(request{method: "POST", path: "/live/whip/cam", remote: remote, body: "v=0\r\n",
		header: map[string]string{"Origin": otherOrigin, "Content-Type": "application/sdp"}})
	if rec.Code != http.StatusForbidden {
		t.Errorf("POST from an origin not listed: %d", rec.Code)
	}
	if _, ok := c.svc.hub.Stream("cam"); ok {
		t.Error("a refused request published")
	}
	// This server's own pages (the layouts) may always.
	rec = c.serve(preflight("/live/whep/cam", "http://127.0.0.1:5080", "POST"))
	if rec.Code != http.StatusOK || rec.Header().Get("Access-Control-Allow-Origin") != "http://127.0.0.1:5080" {
		t.Errorf("own origin: %d %v", rec.Code, rec.Header())
	}
}

func TestParticipantOriginsConfig(t *testing.T) {
	for _, bad := range []string{"app.example.com", "https://app.example.com/path", "ftp://x", "https://u@x.com"} {
		if _, err := newWHIPCORS([]string{bad}); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("%q: %v, want an error naming it", bad, err)
		}
	}
	if w, err := newWHIPCORS([]string{"https://a.example", "*"}); err != nil || !w.any {
		t.Errorf("a list with *: %+v %v", w, err)
	}
}

func TestIfMatchStatus(t *testing.T) {
	for _, c := range []struct {
		values []string
		want   int
	}{
		{nil, http.StatusPreconditionRequired},
		{[]string{`"abc"`}, 0},
		{[]string{`*`}, 0},
		{[]string{` "x", "abc"`}, 0},
		{[]string{`"x"`, `"abc"`}, 0},
		{[]string{`"x,y", "abc"`}, 0},
		{[]string{`W/"abc"`}, http.StatusPreconditionFailed},
		{[]string{`"abd"`}, http.StatusPreconditionFailed},
		{[]string{`abc`}, http.StatusPreconditionFailed},
		{[]string{`"abc`}, http.StatusPreconditionFailed},
		{[]string{``}, http.StatusPreconditionFailed},
	} {
		if got := ifMatchStatus(c.values, "abc"); got != c.want {
			t.Errorf("If-Match %q: %d, want %d", c.values, got, c.want)
		}
	}
}

// TestWHIPTricklePatch publishes over HTTP with an offer without candidates and checks the
// answers of PATCH on its session.
func TestWHIPTricklePatch(t *testing.T) {
	c := openNode(t)
	pc, err := webrtc.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}); err != nil {
		t.Fatal(err)
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	rec := c.serve(request{method: "POST", path: "/live/whip/cam", remote: remote, body: offer.SDP,
		header: map[string]string{"Content-Type": "application/sdp", "Origin": otherOrigin}})
	location, etag := rec.Header().Get("Location"), rec.Header().Get("ETag")
	if rec.Code != http.StatusCreated || !strings.HasPrefix(location, "/live/whip/cam/") || len(etag) < 3 || etag[0] != '"' {
		t.Fatalf("publish: %d %v %s", rec.Code, rec.Header(), rec.Body.String())
	}
	d, err := offer.Unmarshal()
	if err != nil {
		t.Fatal(err)
	}
	ufrag, _ := d.MediaDescriptions[0].Attribute("ice-ufrag")
	pwd, _ := d.MediaDescriptions[0].Attribute("ice-pwd")
	frag := "a=ice-ufrag:" + ufrag + "\r\na=ice-pwd:" + pwd + "\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n" +
		"a=candidate:1 1 udp 2130706431 127.0.0.1 9 typ host\r\na=end-of-candidates\r\n"
	patch := func(path, contentType, ifMatch, body string) *http.Response {
		h := map[string]string{"Content-Type": contentType, "Origin": otherOrigin}
		if ifMatch != "" {
			h["If-Match"] = ifMatch
		}
		return c.serve(request{method: "PATCH", path: path, remote: remote, body: body, header: h}).Result()
	}
	for _, p := range []struct {
		name, path, contentType, ifMatch, body string
		want                                   int
	}{
		{"wrong type", location, "application/sdp", etag, frag, http.StatusUnsupportedMediaType},
		{"unknown session", "/live/whip/cam/0000", trickleType, etag, frag, http.StatusNotFound},
		{"whep session of a whip one", strings.Replace(location, "/whip/", "/whep/", 1) + "x", trickleType, etag, frag, http.StatusNotFound},
		{"no If-Match", location, trickleType, "", frag, http.StatusPreconditionRequired},
		{"another ETag", location, trickleType, `"0000"`, frag, http.StatusPreconditionFailed},
		{"malformed", location, trickleType, etag, "a=candidate:1 1 udp\r\n", http.StatusBadRequest},
		{"ICE restart", location, trickleType, "*", strings.ReplaceAll(frag, ufrag, "restart"), http.StatusUnprocessableEntity},
		{"candidates", location, trickleType, etag, frag, http.StatusNoContent},
	} {
		res := patch(p.path, p.contentType, p.ifMatch, p.body)
		if res.StatusCode != p.want || res.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("%s: %d, want %d (%v)", p.name, res.StatusCode, p.want, res.Header)
		}
		if res.StatusCode == http.StatusNoContent && res.Header.Get("ETag") != "" {
			t.Errorf("%s: a 204 carries an ETag", p.name)
		}
	}
	if _, ok := c.svc.hub.Stream("cam"); !ok {
		t.Error("a refused ICE restart ended the session")
	}
}
