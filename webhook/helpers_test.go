package webhook

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	_ "modernc.org/sqlite" // the service's driver; the package itself takes an open *sql.DB
)

var testSecret = []byte("0123456789abcdef-test-secret")

// openDB opens a SQLite file the way the service opens its catalog, including the single
// connection, so that a query holding its connection while making another would deadlock here.
func openDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

func tempDBPath(t *testing.T) string { return filepath.Join(t.TempDir(), "mediapush.db") }

// logBuffer collects an outbox's log for assertions, and shows it when a test fails.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// entries returns the logged lines whose fields include every one of match. JSON numbers
// decode as float64, so match numbers are given as float64 too.
func (b *logBuffer) entries(match map[string]any) []map[string]any {
	var found []map[string]any
	for line := range strings.Lines(b.String()) {
		var e map[string]any
		if json.Unmarshal([]byte(line), &e) != nil {
			continue
		}
		if !slices.ContainsFunc(slices.Collect(maps.Keys(match)), func(k string) bool { return e[k] != match[k] }) {
			found = append(found, e)
		}
	}
	return found
}

func newLog(t *testing.T) (zerolog.Logger, *logBuffer) {
	b := &logBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Log("outbox log:\n" + b.String())
		}
	})
	return zerolog.New(b).Level(zerolog.DebugLevel), b
}

// testConfig is a Config with test-sized backoffs; the caller sets URL and DB.
func testConfig(t *testing.T) (Config, *logBuffer) {
	log, buf := newLog(t)
	return Config{
		Secret:     testSecret,
		MinBackoff: 20 * time.Millisecond,
		MaxBackoff: time.Second,
		Timeout:    2 * time.Second,
		Log:        log,
	}, buf
}

func mustNew(t *testing.T, cfg Config) *Outbox {
	t.Helper()
	o, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// start runs o until the returned stop is called (or the test ends); stop returns once Run has.
func start(t *testing.T, o *Outbox) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		o.Run(ctx)
	}()
	stop = sync.OnceFunc(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("Run did not return after its context ended")
		}
	})
	t.Cleanup(stop)
	return stop
}

func flush(t *testing.T, o *Outbox) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := o.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

func enqueue(t *testing.T, o *Outbox, eventType string, payload any) string {
	t.Helper()
	id, err := o.Enqueue(context.Background(), eventType, payload)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// request is what the receiver got.
type request struct {
	header http.Header
	body   []byte
	status int
	at     time.Time
}

// receiver is a webhook endpoint. answer, given the request's number (from 0), decides the
// status and reply; it may set response headers in h. Without it every request gets a 200.
type receiver struct {
	answer func(n int, r *http.Request, body []byte, h http.Header) (status int, reply string)

	mu       sync.Mutex
	requests []request
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	n := len(rc.requests)
	rc.mu.Unlock()
	status, reply := http.StatusOK, ""
	if rc.answer != nil {
		status, reply = rc.answer(n, r, body, w.Header())
	}
	w.WriteHeader(status)
	io.WriteString(w, reply)
	rc.mu.Lock()
	rc.requests = append(rc.requests, request{header: r.Header.Clone(), body: body, status: status, at: time.Now()})
	rc.mu.Unlock()
}

func (rc *receiver) got() []request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]request(nil), rc.requests...)
}

// delivered counts the 2xx answers per delivery id.
func (rc *receiver) delivered() map[string]int {
	n := map[string]int{}
	for _, r := range rc.got() {
		if r.status >= 200 && r.status < 300 {
			n[r.header.Get(HeaderDelivery)]++
		}
	}
	return n
}

func serve(t *testing.T, rc *receiver) *httptest.Server {
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	return srv
}

// attempt is one request as the sender saw it.
type attempt struct {
	id     string
	at     time.Time
	status int // 0 on a network error
}

// recorder is a transport that notes every attempt, then calls after (if set) with the
// attempt's number, counted from 1.
type recorder struct {
	next http.RoundTripper

	mu       sync.Mutex
	attempts []attempt
	after    func(n int, a attempt)
}

func newRecorder(t *testing.T) *recorder {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	return &recorder{next: tr}
}

func (rec *recorder) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := rec.next.RoundTrip(r)
	a := attempt{id: r.Header.Get(HeaderDelivery), at: time.Now()}
	if err == nil {
		a.status = resp.StatusCode
	}
	rec.mu.Lock()
	rec.attempts = append(rec.attempts, a)
	n, after := len(rec.attempts), rec.after
	rec.mu.Unlock()
	if after != nil {
		after(n, a)
	}
	return resp, err
}

func (rec *recorder) got() []attempt {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]attempt(nil), rec.attempts...)
}

func (rec *recorder) client() *http.Client { return &http.Client{Transport: rec} }

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
