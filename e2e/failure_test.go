package e2e

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"mediapush/controller"
	"mediapush/internal/mediacheck"
	"mediapush/internal/procstat"
)

func TestBadInputIsRefusedClearly(t *testing.T) {
	s := startService(t)
	// A port where nothing listens, for "connection refused".
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	refused := "http://" + ln.Addr().String() + "/"
	ln.Close()
	goroutines, files := runtime.NumGoroutine(), procstat.OpenFiles()

	page := s.page("test-pattern.html")
	starts := []struct {
		name, body, want string
	}{
		{"malformed JSON", `{"url": `, "not valid JSON"},
		{"unknown field", `{"url": "` + page + `", "colour": 1}`, "not valid JSON"},
		{"missing url", `{"width": 640, "height": 360}`, "url is mandatory"},
		{"not a url", `{"url": "::nope"}`, "is not a valid url"},
		{"file scheme", `{"url": "file:///etc/passwd"}`, "only http and https"},
		{"javascript scheme", `{"url": "javascript:alert(1)"}`, "only http and https"},
		{"ftp scheme", `{"url": "ftp://example.com/x"}`, "only http and https"},
		{"too small", `{"url": "` + page + `", "width": 100, "height": 100}`, "out of range"},
		{"too large", `{"url": "` + page + `", "width": 4000, "height": 2000}`, "out of range"},
		{"height only", `{"url": "` + page + `", "height": 720}`, "out of range"},
		{"odd size", `{"url": "` + page + `", "width": 641, "height": 360}`, "even"},
		{"record type", `{"url": "` + page + `", "recordType": "avi"}`, "is not supported: use mp4, webm, mp3 or hls"},
		{"webm with mp4", `{"url": "` + page + `", "recordType": "mp4,webm"}`, "webm cannot be combined"},
		{"reserved switch", `{"url": "` + page + `", "extraChromeSwitches": "--user-data-dir=/tmp/x"}`, "set by mediapush"},
		{"bad switch", `{"url": "` + page + `", "extraChromeSwitches": "--a b"}`, "is not a Chromium switch"},
		{"unreachable host", `{"url": "http://no-such-host.invalid/", "width": 640, "height": 360}`, "DNS lookup failed for no-such-host.invalid"},
		{"refused", `{"url": "` + refused + `", "width": 640, "height": 360}`, "connection refused"},
		{"404 page", `{"url": "` + s.base + `/live/no-such-page.html", "width": 640, "height": 360}`, "HTTP 404"},
	}
	for _, c := range starts {
		_, out := s.do(http.MethodPost, "/live/rest/v1/media-push/start?streamId=bad", c.body)
		if !strings.Contains(string(out), `"success":false`) || !strings.Contains(string(out), c.want) {
			t.Errorf("%s: answer %s; want success:false naming %q", c.name, out, c.want)
		}
	}
	if r := s.start("bad/../x", map[string]any{"url": page}); r.Success {
		t.Errorf("a stream id with a path in it was accepted")
	}
	if r := s.call(http.MethodPost, "/live/rest/v1/media-push/start?streamId=a%2F..%2Fb", map[string]any{"url": page}); r.Success || !strings.Contains(r.msg(), "is not valid") {
		t.Errorf("stream id with slashes: %+v %s", r, r.msg())
	}

	// Calls on sessions that do not exist.
	if r := s.stop("nobody"); r.Success || !strings.Contains(r.msg(), "Driver does not exist for stream id: nobody") {
		t.Errorf("stop unknown: %s", r.msg())
	}
	cmd := func(id string, body any) result {
		return s.call(http.MethodPost, "/live/rest/v1/media-push/send-command?streamId="+id, body)
	}
	if r := cmd("nobody", map[string]any{"jsCommand": "1"}); r.Success || !strings.Contains(r.msg(), "Driver does not exist") {
		t.Errorf("send-command unknown: %s", r.msg())
	}
	if r := cmd("", map[string]any{"jsCommand": "1"}); r.Success || !strings.Contains(r.msg(), "streamId query parameter is mandatory") {
		t.Errorf("send-command without id: %s", r.msg())
	}
	var b broadcast
	if code := s.getJSON("/live/rest/v2/broadcasts/nobody", &b); code != http.StatusNotFound {
		t.Errorf("unknown broadcast: HTTP %d", code)
	}

	// Failed starts leave a FAILED broadcast that says why.
	if b := s.broadcast("bad"); b.State != "FAILED" || !strings.Contains(b.Reason, "HTTP 404") {
		t.Errorf("after a failed start: %+v", b)
	}

	// A running session: a duplicate start, a command without JS, JS that throws.
	if r := s.start("dup", map[string]any{"url": page, "width": 320, "height": 240}); !r.Success {
		t.Fatalf("start: %s", r.msg())
	}
	if r := s.start("dup", map[string]any{"url": page, "width": 320, "height": 240}); r.Success ||
		!strings.Contains(r.msg(), "Session with the same streamId: dup already exists") {
		t.Errorf("duplicate start: %s", r.msg())
	}
	if b := s.broadcast("dup"); b.State != "ACTIVE" {
		t.Errorf("the duplicate start disturbed the running session: %+v", b)
	}
	if r := cmd("dup", map[string]any{}); r.Success || !strings.Contains(r.msg(), "jsCommand is mandatory") {
		t.Errorf("send-command without JS: %s", r.msg())
	}
	if r := cmd("dup", map[string]any{"jsCommand": "throw new Error('kaboom')"}); r.Success || !strings.Contains(r.msg(), "kaboom") {
		t.Errorf("throwing JS: %s", r.msg())
	}
	if r := cmd("dup", map[string]any{"jsCommand": "noSuchFunction()"}); r.Success || !strings.Contains(r.msg(), "noSuchFunction is not defined") {
		t.Errorf("undefined function: %s", r.msg())
	}
	if r := s.stop("dup"); !r.Success {
		t.Errorf("stop: %s", r.msg())
	}
	if pids := procstat.Matching(s.data); len(pids) > 0 {
		t.Errorf("%d Chromium processes left after the failed and stopped sessions", len(pids))
	}
	settle(t, goroutines+2, files+2)
}

func TestChromiumCrashKeepsTheRecording(t *testing.T) {
	s := startService(t, withoutRestarts)
	if r := s.start("crash", map[string]any{"url": s.page("test-pattern.html"), "width": 640, "height": 360, "recordType": "mp4"}); !r.Success {
		t.Fatalf("start: %s", r.msg())
	}
	started := time.Now()
	time.Sleep(5 * time.Second)
	browser := browserPID(t, s.data)
	if err := syscall.Kill(browser, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(started)
	b := s.waitState("crash", "FAILED", 10*time.Second)
	if !strings.Contains(b.Reason, "chromium crashed") {
		t.Errorf("reason %q, want it to say Chromium crashed", b.Reason)
	}
	checkPartial(t, s, "crash", elapsed)
}

// checkPartial asserts that the recording of a session cut short plays, is marked partial,
// and lost at most a second of the elapsed time.
func checkPartial(t *testing.T, s *service, streamID string, elapsed time.Duration, formats ...string) {
	t.Helper()
	if len(formats) == 0 {
		formats = []string{"mp4"}
	}
	var vods []vod
	for _, v := range s.vods() {
		if v.StreamID == streamID {
			vods = append(vods, v)
		}
	}
	if len(vods) != len(formats) {
		t.Fatalf("%s: %d recordings, want %v: %+v", streamID, len(vods), formats, vods)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, v := range vods {
		if !slices.Contains(formats, v.Format) {
			t.Errorf("%s: an unexpected %s recording %s", streamID, v.Format, v.VodName)
		}
		// The file where the service keeps it: an HLS playlist with its segments beside it.
		file := filepath.Join(s.data, v.FilePath)
		if err := mediacheck.Decodes(ctx, file); err != nil {
			t.Errorf("%s: the partial %s does not play: %v", streamID, v.Format, err)
		}
		info, err := mediacheck.Probe(ctx, file)
		if err != nil {
			t.Fatal(err)
		}
		// HLS is cut into whole segments (about 2 s): the one being made when the process died
		// may be lost. The files made from the recording lose at most a second.
		limit := time.Second
		if v.Format == "hls" {
			limit = 2 * time.Second
		}
		if !v.Partial || info.Duration < elapsed-limit {
			t.Errorf("%s: %s kept of %s recorded in %s (partial=%v): lost more than %s", streamID, info.Duration, elapsed, v.Format, v.Partial, limit)
		}
		t.Logf("%s: cut after %s; the partial %s holds %s", streamID, elapsed.Round(time.Millisecond), v.Format, info.Duration)
	}
}

// browserPID finds the main Chromium process of the one session running on data.
func browserPID(t *testing.T, data string) int {
	t.Helper()
	for _, pid := range procstat.Matching(data + "/tmp/") {
		if cmd := procstat.Cmdline(pid); !strings.Contains(cmd, "--type=") && strings.Contains(cmd, "chromium") {
			return pid
		}
	}
	t.Fatal("no Chromium process found")
	return 0
}

func TestStaticPageRecords(t *testing.T) {
	// A page where nothing moves or sounds: tab capture sends few frames, and that must not fail the session.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`<title>static</title><p>static page`))
	}))
	defer srv.Close()
	s := startService(t)
	if r := s.start("static", map[string]any{"url": srv.URL, "width": 320, "height": 240, "recordType": "mp4"}); !r.Success {
		t.Fatalf("a static page must still record (the tab is captured, moving or not): %s", r.msg())
	}
	time.Sleep(12 * time.Second) // longer than the no-media timeout
	if b := s.broadcast("static"); b.State != "ACTIVE" {
		t.Errorf("a still page failed the session: %+v", b)
	}
	if r := s.stop("static"); !r.Success {
		t.Errorf("stop: %s", r.msg())
	}
}

// TestAPIToken closes the REST API to callers without the token; pages and the health check
// stay open.
func TestAPIToken(t *testing.T) {
	s := startService(t, func(c *controller.Config) { c.APIToken = "a-long-random-api-token-0123456789" })
	for _, path := range []string{"/live/rest/v2/vods/list/0/10", "/v2/monitor/recordings", "/live/rest/v2/broadcasts/x"} {
		for _, token := range []string{"", "wrong", "a-long-random-api-token-012345678"} {
			req, _ := http.NewRequest(http.MethodGet, s.base+path, nil)
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("GET %s with token %q: HTTP %d, want 401", path, token, resp.StatusCode)
			}
		}
		req, _ := http.NewRequest(http.MethodGet, s.base+path, nil)
		req.Header.Set("Authorization", "Bearer a-long-random-api-token-0123456789")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusUnauthorized {
			t.Errorf("GET %s with the token: HTTP %d", path, resp.StatusCode)
		}
	}
	for _, path := range []string{"/healthz", "/live/test-pattern.html"} {
		if resp, _ := s.do(http.MethodGet, path, nil); resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: HTTP %d, want it open", path, resp.StatusCode)
		}
	}
}
