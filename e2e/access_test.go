package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"mediapush/controller"
	"mediapush/internal/procstat"
)

// attackBody is the start call that once ran a command: a page plus a Chromium switch that
// prefixes every renderer with a shell.
func attackBody(marker string) string {
	return `{"url":"http://127.0.0.1:9/page.html","extraChromeSwitches":"--renderer-cmd-prefix=/bin/sh -c touch${IFS}` + marker + `"}`
}

// TestControlFromAnotherHost drives a node with no token from a host of its own on a veth pair:
// every control call is refused, the participants' routes answer.
func TestControlFromAnotherHost(t *testing.T) {
	host := newOtherHost(t)
	s := startService(t)
	base := host.serveOn(s)
	marker := filepath.Join(t.TempDir(), "marker")

	tried, refused := 0, 0
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/live/rest/v1/media-push/start?streamId=intruder", `{"url":"` + s.page("test-pattern.html") + `"}`},
		{"POST", "/live/rest/v1/media-push/start?streamId=intruder", attackBody(marker)},
		{"GET", "/live/rest/v2/broadcasts/list/0/10", ""},
		{"GET", "/live/rest/v2/vods/list/0/10", ""},
		{"POST", "/live/rest/v1/media-push/rooms/r1/recording/start", ""},
		{"POST", "/v2/conferences/mix/c1/recording/start", `{"layoutUrl":"` + s.page("test-pattern.html") + `"}`},
		{"GET", "/v2/monitor/recordings", ""},
		{"GET", "/live/streams/intruder.m3u8", ""},
	} {
		tried++
		code, body := host.curl(c.method, base+c.path, c.body, "Content-Type: application/json")
		if code == http.StatusForbidden && strings.Contains(body, "only callers on this machine") {
			refused++
		} else {
			t.Errorf("%s %s from another host: %d %s, want 403", c.method, c.path, code, body)
		}
	}
	t.Logf("control calls from another host without a token: tried %d, refused %d", tried, refused)
	if code, _ := host.curl("GET", base+"/live/multitrack-play.html?id=r1", ""); code != http.StatusOK {
		t.Errorf("a layout page from another host: HTTP %d, want 200", code)
	}
	if code, body := host.curl("GET", base+"/live/rest/v2/rooms/r1/participants", ""); code != http.StatusOK {
		t.Errorf("a room's participants from another host: HTTP %d %s, want 200", code, body)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the switch's command ran")
	}
	if n := len(procstat.Matching(s.data)); n > 0 {
		t.Errorf("%d processes run after refused calls", n)
	}
	var list []broadcast
	s.getJSON("/live/rest/v2/broadcasts/list/0/10", &list)
	if len(list) > 0 {
		t.Errorf("refused calls left broadcasts: %+v", list)
	}

	// With a token, the other host gets in with it and only with it.
	const token = "token-for-the-other-host-0123456789"
	st := startService(t, func(c *controller.Config) { c.APIToken = token })
	base = host.serveOn(st)
	if code, body := host.curl("GET", base+"/live/rest/v2/vods/list/0/10", ""); code != http.StatusUnauthorized {
		t.Errorf("no token: %d %s, want 401", code, body)
	}
	if code, body := host.curl("GET", base+"/live/rest/v2/vods/list/0/10", "", "Authorization: Bearer "+token); code != http.StatusOK {
		t.Errorf("with the token: %d %s, want 200", code, body)
	}
}

// TestBrowserCannotDriveTheAPI sends what a page in somebody's browser can send: a text/plain
// POST (no preflight), a POST from another origin, a forged Host (DNS rebinding).
func TestBrowserCannotDriveTheAPI(t *testing.T) {
	s := startService(t)
	marker := filepath.Join(t.TempDir(), "marker")
	start := "/live/rest/v1/media-push/start?streamId=csrf"
	tried, refused := 0, 0
	for _, c := range []struct {
		name    string
		headers map[string]string
		want    int
	}{
		{"text/plain", map[string]string{"Content-Type": "text/plain"}, http.StatusUnsupportedMediaType},
		{"a form", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, http.StatusUnsupportedMediaType},
		{"another origin", map[string]string{"Content-Type": "application/json", "Origin": "https://evil.example"}, http.StatusForbidden},
		{"marked cross-site", map[string]string{"Content-Type": "application/json", "Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"a rebinding Host", map[string]string{"Content-Type": "application/json", "Host": "evil.example:5080"}, http.StatusMisdirectedRequest},
	} {
		tried++
		req, _ := http.NewRequest(http.MethodPost, s.base+start, strings.NewReader(attackBody(marker)))
		for k, v := range c.headers {
			if k == "Host" {
				req.Host = v
			} else {
				req.Header.Set(k, v)
			}
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == c.want {
			refused++
		} else {
			t.Errorf("%s: HTTP %d, want %d", c.name, resp.StatusCode, c.want)
		}
	}
	t.Logf("browser-borne start calls: tried %d, refused %d", tried, refused)
	time.Sleep(time.Second) // long enough for a renderer to have started, had one been
	if _, err := os.Stat(marker); err == nil {
		t.Error("the switch's command ran")
	}
	var b broadcast
	if code := s.getJSON("/live/rest/v2/broadcasts/csrf", &b); code != http.StatusNotFound {
		t.Errorf("a refused call left a broadcast: HTTP %d %+v", code, b)
	}
}

// TestRecordedPageCannotDriveTheAPI records a page of another site whose script calls the node
// that records it, every way a page can without a preflight's consent: the calls fail, and the
// page still records.
func TestRecordedPageCannotDriveTheAPI(t *testing.T) {
	s := startService(t)
	var hits atomic.Int32
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<!doctype html><body style="background:#0a0"><script>
const api = %q;
const body = JSON.stringify({url: %q, width: 320, height: 240});
const tries = [
  fetch(api + "?streamId=nocors", {method: "POST", mode: "no-cors", headers: {"Content-Type": "text/plain"}, body}),
  fetch(api + "?streamId=cors", {method: "POST", headers: {"Content-Type": "application/json"}, body}),
  fetch(api + "?streamId=beacon", {method: "POST", mode: "no-cors", body: new Blob([body], {type: "text/plain"})}),
  new Promise((ok) => ok(navigator.sendBeacon(api + "?streamId=sendbeacon", body))),
];
Promise.allSettled(tries).then(() => { document.title = "tried"; });
</script></body>`, s.base+"/live/rest/v1/media-push/start", s.page("test-pattern.html"))
	}))
	defer site.Close()
	if r := s.start("page", map[string]any{"url": site.URL + "/", "width": 640, "height": 360}); !r.Success {
		t.Fatalf("start: %s", r.msg())
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		r := s.call(http.MethodPost, "/live/rest/v1/media-push/send-command?streamId=page", map[string]string{"jsCommand": "return document.title"})
		if r.msg() == "tried" {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, id := range []string{"nocors", "cors", "beacon", "sendbeacon"} {
		var b broadcast
		if code := s.getJSON("/live/rest/v2/broadcasts/"+id, &b); code != http.StatusNotFound {
			t.Errorf("the recorded page started session %s: HTTP %d %+v", id, code, b)
		}
	}
	if hits.Load() == 0 {
		t.Error("the page was never loaded")
	}
	if r := s.stop("page"); !r.Success {
		t.Errorf("stop: %s", r.msg())
	}
}
