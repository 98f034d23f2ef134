package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"mediapush/controller"
	"mediapush/internal/apicheck"
	"mediapush/internal/procstat"
)

// service is one mediapush node under test.
type service struct {
	t    testing.TB
	base string // http://127.0.0.1:port
	data string
	ctl  *controller.Controller
}

// result is Ant Media's Result.
type result struct {
	Success bool    `json:"success"`
	Message *string `json:"message"`
	DataID  *string `json:"dataId"`
}

func (r result) msg() string {
	if r.Message == nil {
		return ""
	}
	return *r.Message
}

type broadcast struct {
	StreamID string `json:"streamId"`
	Status   string `json:"status"`
	State    string `json:"state"`
	Width    int    `json:"width"`
	Height   int    `json:"height"`
	Reason   string `json:"reason"`
}

type vod struct {
	VodID    string `json:"vodId"`
	VodName  string `json:"vodName"`
	StreamID string `json:"streamId"`
	FilePath string `json:"filePath"`
	Duration int64  `json:"duration"`
	FileSize int64  `json:"fileSize"`
	Partial  bool   `json:"partial"`
	Format   string `json:"format"`
	Kind     string `json:"kind"`
	Merged   bool   `json:"merged"`
	Info     string `json:"info"`
	// StartTime is the recording's first frame, Unix milliseconds.
	StartTime int64 `json:"startTime"`
	// Timeline is a room recording's: the URLs of its events and chapters.
	Timeline *struct {
		JSON   string `json:"json"`
		WebVTT string `json:"webvtt"`
	} `json:"timeline"`
}

// startService runs a node on a fresh data directory; options adjust its configuration.
func startService(t testing.TB, options ...func(*controller.Config)) *service {
	t.Helper()
	s, _ := startServiceOn(t, t.TempDir(), options...)
	return s
}

// startServiceOn runs a node on a data directory that may hold a previous node's data, so a
// test can stop one node and start another on the same data. stop closes the node once; the
// test's cleanup calls it too, and checks that nothing was left behind.
func startServiceOn(t testing.TB, data string, options ...func(*controller.Config)) (s *service, stop func()) {
	t.Helper()
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)
	cfg := controller.Config{DataDir: data, Log: log}
	// The suite's peers live on loopback: test pages, RTMP servers, a second node for WHIP
	// pushes, webhook receivers, fake S3. A node refuses loopback by default, so the suite
	// allows it; withDefaultDestinations takes the allowance away.
	cfg.Destinations.Allow = []string{"127.0.0.0/8", "::1"}
	// The suite runs sessions side by side on a small shared machine to test features, not
	// capacity: admission by cost is off but where a test sets a budget (capacity_test.go).
	cfg.Limits.CPUBudget, cfg.Limits.MemoryBudget = -1, -1
	for _, o := range options {
		o(&cfg)
	}
	ctl, err := controller.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	check := checkAPI(t)
	srv := httptest.NewServer(check.Handler(ctl.Handler()))
	s = &service{t: t, base: srv.URL, data: data, ctl: ctl}
	stop = sync.OnceFunc(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := ctl.Close(ctx); err != nil {
			t.Errorf("closing the service: %v", err)
		}
		srv.Close()
		assertNothingLeft(t, data)
	})
	t.Cleanup(stop)
	return s, stop
}

// openAPI is the API's document, loaded once for the suite.
var openAPI = sync.OnceValues(func() (*apicheck.Document, error) { return apicheck.Load(controller.OpenAPIDocument()) })

// checkAPI checks every request a test sends a node, and every answer, against the OpenAPI
// document; the test fails at its end on what disagreed. Registered before the node's own
// cleanup, it runs after it: once the server has finished every request.
func checkAPI(t testing.TB) *apicheck.Checker {
	t.Helper()
	doc, err := openAPI()
	if err != nil {
		t.Fatal(err)
	}
	check := doc.Checker()
	t.Cleanup(func() {
		for _, m := range check.Mismatches() {
			t.Errorf("the API disagrees with controller/openapi.yaml: %s", m)
		}
	})
	return check
}

// withDefaultDestinations runs the node with the destination policy of a fresh install: no
// internal address allowed, loopback included (but for the node's own pages).
func withDefaultDestinations(cfg *controller.Config) { cfg.Destinations.Allow = nil }

// page is the URL of a page that the service itself serves.
func (s *service) page(name string) string { return s.base + "/live/" + name }

func (s *service) do(method, path string, body any) (*http.Response, []byte) {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	// Bounded: a call that hangs fails the test instead of stalling the run.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, method, s.base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp, out
}

func (s *service) call(method, path string, body any) result {
	s.t.Helper()
	_, out := s.do(method, path, body)
	var r result
	if err := json.Unmarshal(out, &r); err != nil {
		s.t.Fatalf("%s %s: answer is not a Result: %s", method, path, out)
	}
	return r
}

func (s *service) getJSON(path string, v any) int {
	s.t.Helper()
	resp, out := s.do(http.MethodGet, path, nil)
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(out, v); err != nil {
			s.t.Fatalf("GET %s: %v: %s", path, err, out)
		}
	}
	return resp.StatusCode
}

func (s *service) start(streamID string, body map[string]any) result {
	s.t.Helper()
	return s.call(http.MethodPost, "/live/rest/v1/media-push/start?streamId="+streamID, body)
}

func (s *service) stop(streamID string) result {
	s.t.Helper()
	return s.call(http.MethodPost, "/live/rest/v1/media-push/stop/"+streamID, nil)
}

func (s *service) broadcast(streamID string) broadcast {
	s.t.Helper()
	var b broadcast
	if code := s.getJSON("/live/rest/v2/broadcasts/"+streamID, &b); code != http.StatusOK {
		s.t.Fatalf("broadcast %s: HTTP %d", streamID, code)
	}
	return b
}

func (s *service) vods() []vod {
	s.t.Helper()
	var v []vod
	if code := s.getJSON("/live/rest/v2/vods/list/0/50", &v); code != http.StatusOK {
		s.t.Fatalf("vods: HTTP %d", code)
	}
	return v
}

// streamOf is the stream a VoD is of; types that embed vod to read more of its fields have it too.
func (v vod) streamOf() string { return v.StreamID }

// vodsOf lists the VoDs of streamID as T: vod, or a type embedding it with more fields.
func vodsOf[T interface{ streamOf() string }](s *service, streamID string) []T {
	s.t.Helper()
	var all, out []T
	if code := s.getJSON("/live/rest/v2/vods/list/0/50", &all); code != http.StatusOK {
		s.t.Fatalf("vods: HTTP %d", code)
	}
	for _, v := range all {
		if v.streamOf() == streamID {
			out = append(out, v)
		}
	}
	return out
}

// vodOf returns the one VoD of streamID.
func (s *service) vodOf(streamID string) vod {
	s.t.Helper()
	var found []vod
	for _, v := range s.vods() {
		if v.StreamID == streamID {
			found = append(found, v)
		}
	}
	if len(found) != 1 {
		s.t.Fatalf("stream %s has %d VoDs, want 1: %+v", streamID, len(found), found)
	}
	return found[0]
}

// download fetches a VoD through its public URL into a file.
func (s *service) download(v vod) string {
	s.t.Helper()
	resp, body := s.do(http.MethodGet, "/live/"+v.FilePath, nil)
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("download %s: HTTP %d", v.FilePath, resp.StatusCode)
	}
	path := filepath.Join(s.t.TempDir(), v.VodName)
	if err := os.WriteFile(path, body, 0o644); err != nil {
		s.t.Fatal(err)
	}
	return path
}

// waitState polls a broadcast until it reaches state.
func (s *service) waitState(streamID, state string, within time.Duration) broadcast {
	s.t.Helper()
	deadline := time.Now().Add(within)
	for {
		b := s.broadcast(streamID)
		if b.State == state {
			return b
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("stream %s is %s (%s), want %s within %s", streamID, b.State, b.Reason, state, within)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// assertNothingLeft checks that no Chromium runs on data's sessions, no session directory
// remains, and the goroutines and open files went back down.
func assertNothingLeft(t testing.TB, data string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) && len(procstat.Matching(data)) > 0 {
		time.Sleep(100 * time.Millisecond)
	}
	if pids := procstat.Matching(data); len(pids) > 0 {
		t.Errorf("%d processes still run on %s after the service closed", len(pids), data)
	}
	if left, _ := os.ReadDir(filepath.Join(data, "tmp")); len(left) > 0 {
		t.Errorf("session directories left behind: %v", left)
	}
}

// settle waits until the goroutine count and open files drop to at most the given marks.
func settle(t testing.TB, goroutines, files int) {
	t.Helper()
	http.DefaultClient.CloseIdleConnections() // the test's own keep-alive connections are not the service's
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if runtime.NumGoroutine() <= goroutines && procstat.OpenFiles() <= files {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	buf := make([]byte, 1<<20)
	n := runtime.Stack(buf, true)
	t.Errorf("leak: %d goroutines (before %d), %d open files (before %d)\n%s",
		runtime.NumGoroutine(), goroutines, procstat.OpenFiles(), files, buf[:n])
}
