package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

type recordingsAvailable struct {
	ConferenceID string `json:"conferenceId"`
	Seq          int    `json:"seq"`
}

func TestDeliversInOrderSigned(t *testing.T) {
	rc := &receiver{}
	srv := serve(t, rc)
	cfg, _ := testConfig(t)
	cfg.URL = srv.URL + "/hooks"
	cfg.DB = openDB(t, tempDBPath(t))
	o := mustNew(t, cfg)
	start(t, o)

	var ids []string
	var payloads [][]byte
	for i := range 3 {
		p := recordingsAvailable{ConferenceID: "room-1", Seq: i}
		ids = append(ids, enqueue(t, o, "Recordings.Available", p))
		b, _ := json.Marshal(p)
		payloads = append(payloads, b)
	}
	began := time.Now()
	flush(t, o)
	t.Logf("3 events delivered in %v", time.Since(began).Round(time.Millisecond))

	got := rc.got()
	if len(got) != 3 {
		t.Fatalf("receiver got %d requests, want 3", len(got))
	}
	for i, r := range got {
		if id := r.header.Get(HeaderDelivery); id != ids[i] {
			t.Errorf("request %d is %s, want %s (creation order)", i, id, ids[i])
		}
		if !bytes.Equal(r.body, payloads[i]) {
			t.Errorf("request %d body %s, want exactly the payload %s", i, r.body, payloads[i])
		}
		if ct := r.header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type %q", ct)
		}
		if ev := r.header.Get(HeaderEvent); ev != "Recordings.Available" {
			t.Errorf("%s = %q", HeaderEvent, ev)
		}
		if sig := r.header.Get(HeaderSignature); !strings.HasPrefix(sig, "v1=") {
			t.Errorf("%s = %q", HeaderSignature, sig)
		}
		if err := Verify(testSecret, r.header, r.body, time.Now(), time.Minute); err != nil {
			t.Errorf("request %d does not verify: %v", i, err)
		}
	}
	if n, err := o.Pending(context.Background()); err != nil || n != 0 {
		t.Errorf("Pending = %d, %v; want 0", n, err)
	}
}

// TestRetriesUntilReceiverAnswers: the receiver fails the first attempts, by answering 503
// or by not listening at all, then comes up. Every event must arrive exactly once, after
// retries spaced by a growing backoff.
func TestRetriesUntilReceiverAnswers(t *testing.T) {
	const failures = 12 // about four per event

	t.Run("503", func(t *testing.T) {
		rc := &receiver{answer: func(n int, _ *http.Request, _ []byte, _ http.Header) (int, string) {
			if n < failures {
				return http.StatusServiceUnavailable, "restarting"
			}
			return http.StatusOK, ""
		}}
		srv := serve(t, rc)
		rec := newRecorder(t)
		ids, cfg := retryScenario(t, srv.URL, rec)
		if got := len(rc.got()); got != failures+len(ids) {
			t.Errorf("receiver got %d requests, want %d failures and one delivery per event", got, failures+len(ids))
		}
		checkExactlyOnce(t, rc, ids)
		checkBackoff(t, rec.got(), cfg)
	})

	t.Run("connection refused", func(t *testing.T) {
		// Take a free port, then close it so that attempts are refused until the
		// receiver starts listening there, after the failures-th attempt.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		rc := &receiver{}
		srv := httptest.NewUnstartedServer(rc)
		t.Cleanup(srv.Close)
		rec := newRecorder(t)
		rec.after = func(n int, a attempt) {
			if a.status != 0 {
				return
			}
			if n > failures {
				t.Errorf("attempt %d refused after the receiver started", n)
			}
			if n == failures {
				l, err := net.Listen("tcp", addr)
				if err != nil {
					t.Errorf("listening again on %s: %v", addr, err)
					return
				}
				srv.Listener = l
				srv.Start()
			}
		}
		ids, cfg := retryScenario(t, "http://"+addr, rec)
		if got := len(rc.got()); got != len(ids) {
			t.Errorf("receiver got %d requests, want %d", got, len(ids))
		}
		checkExactlyOnce(t, rc, ids)
		checkBackoff(t, rec.got(), cfg)
	})
}

// retryScenario sends three events to url through rec and waits until they are delivered.
func retryScenario(t *testing.T, url string, rec *recorder) ([]string, Config) {
	cfg, _ := testConfig(t)
	cfg.URL = url + "/hooks"
	cfg.DB = openDB(t, tempDBPath(t))
	cfg.Client = rec.client()
	o := mustNew(t, cfg)
	var ids []string
	for i := range 3 {
		ids = append(ids, enqueue(t, o, "Recordings.Available", recordingsAvailable{Seq: i}))
	}
	began := time.Now()
	start(t, o)
	flush(t, o)
	t.Logf("delivered after %d attempts in %v", len(rec.got()), time.Since(began).Round(time.Millisecond))
	return ids, o.cfg
}

func checkExactlyOnce(t *testing.T, rc *receiver, ids []string) {
	t.Helper()
	delivered := rc.delivered()
	for _, id := range ids {
		if delivered[id] != 1 {
			t.Errorf("event %s delivered %d times, want once", id, delivered[id])
		}
	}
	if len(delivered) != len(ids) {
		t.Errorf("delivered %v, want exactly %v", delivered, ids)
	}
}

// checkBackoff checks the spacing of each event's failed attempts: the k-th retry comes no
// sooner than the shortest k-th backoff, and the waits grow. Only waits ending in a failure
// are measured: once the receiver is back, an event waiting for it is retried at once.
func checkBackoff(t *testing.T, attempts []attempt, cfg Config) {
	t.Helper()
	const slack = 2 * time.Millisecond // next attempts are stored to the millisecond
	byID := map[string][]attempt{}
	for _, a := range attempts {
		byID[a.id] = append(byID[a.id], a)
	}
	grew := false
	for id, as := range byID {
		var gaps []time.Duration
		for k := 1; k < len(as) && !ok(as[k].status); k++ {
			gap := as[k].at.Sub(as[k-1].at)
			step := min(cfg.MinBackoff<<(k-1), cfg.MaxBackoff)
			if least := step*3/4 - slack; gap < least {
				t.Errorf("event %s: retry %d after %v, want at least %v", id, k, gap, least)
			}
			gaps = append(gaps, gap)
		}
		t.Logf("event %s: %d attempts, waits between failures %v", id, len(as), gaps)
		if len(gaps) >= 2 && gaps[len(gaps)-1] > gaps[0] {
			grew = true
		}
	}
	if !grew {
		t.Error("no event shows a growing backoff")
	}
}

func ok(status int) bool { return status >= 200 && status < 300 }

func TestResumesAfterRestart(t *testing.T) {
	var up atomic.Bool
	rc := &receiver{answer: func(int, *http.Request, []byte, http.Header) (int, string) {
		if up.Load() {
			return http.StatusOK, ""
		}
		return http.StatusServiceUnavailable, ""
	}}
	srv := serve(t, rc)
	path := tempDBPath(t)

	// First process: the receiver is down, the events stay in the outbox.
	db := openDB(t, path)
	cfg, _ := testConfig(t)
	cfg.URL = srv.URL
	cfg.DB = db
	rec := newRecorder(t)
	cfg.Client = rec.client()
	first := mustNew(t, cfg)
	stop := start(t, first)
	var ids []string
	for i := range 3 {
		ids = append(ids, enqueue(t, first, "Recordings.Available", recordingsAvailable{Seq: i}))
	}
	eventually(t, "an attempt at every event", func() bool { return len(rec.got()) >= 3 })
	stop()
	// One more, stored after Run has stopped, as if the process died right after.
	ids = append(ids, enqueue(t, first, "Recordings.Available", recordingsAvailable{Seq: 3}))
	db.Close()

	// Second process, same file: the receiver is back.
	up.Store(true)
	cfg, _ = testConfig(t)
	cfg.URL = srv.URL
	cfg.DB = openDB(t, path)
	second := mustNew(t, cfg)
	if n, err := second.Pending(context.Background()); err != nil || n != len(ids) {
		t.Fatalf("after the restart Pending = %d, %v; want %d", n, err, len(ids))
	}
	began := time.Now()
	start(t, second)
	flush(t, second)
	t.Logf("%d events left by the first process delivered in %v", len(ids), time.Since(began).Round(time.Millisecond))
	checkExactlyOnce(t, rc, ids)
}

func TestRejectedIsNotRetried(t *testing.T) {
	rc := &receiver{answer: func(_ int, _ *http.Request, body []byte, _ http.Header) (int, string) {
		if bytes.Contains(body, []byte(`"bad"`)) {
			return http.StatusBadRequest, "payload rejected: missing field roomId"
		}
		return http.StatusOK, ""
	}}
	srv := serve(t, rc)
	cfg, logs := testConfig(t)
	cfg.URL = srv.URL
	cfg.DB = openDB(t, tempDBPath(t))
	o := mustNew(t, cfg)
	first := enqueue(t, o, "Recordings.Available", map[string]string{"conferenceId": "good"})
	bad := enqueue(t, o, "Recordings.Available", map[string]string{"conferenceId": "bad"})
	last := enqueue(t, o, "Recordings.Available", map[string]string{"conferenceId": "good too"})
	start(t, o)
	flush(t, o)
	time.Sleep(3 * cfg.MinBackoff) // room for a retry that must not come

	var tries int
	for _, r := range rc.got() {
		if r.header.Get(HeaderDelivery) == bad {
			tries++
		}
	}
	if tries != 1 {
		t.Errorf("rejected event sent %d times, want once", tries)
	}
	delivered := rc.delivered()
	if delivered[first] != 1 || delivered[last] != 1 {
		t.Errorf("deliveries %v: the events around the rejected one must arrive once", delivered)
	}
	logged := logs.entries(map[string]any{"id": bad, "status": float64(400)})
	if len(logged) != 1 || logged[0]["level"] != "error" ||
		!strings.Contains(fmt.Sprint(logged[0]["response"]), "missing field roomId") {
		t.Errorf("rejection logged as %v; want one error with status 400 and the response's start", logged)
	}
}

func TestHonoursRetryAfter(t *testing.T) {
	rc := &receiver{answer: func(n int, _ *http.Request, _ []byte, h http.Header) (int, string) {
		if n == 0 {
			h.Set("Retry-After", "1")
			return http.StatusTooManyRequests, "slow down"
		}
		return http.StatusOK, ""
	}}
	srv := serve(t, rc)
	cfg, _ := testConfig(t)
	cfg.URL = srv.URL
	cfg.DB = openDB(t, tempDBPath(t))
	o := mustNew(t, cfg)
	id := enqueue(t, o, "Recordings.Available", recordingsAvailable{})
	start(t, o)
	flush(t, o)
	got := rc.got()
	if len(got) != 2 {
		t.Fatalf("receiver got %d requests, want 2", len(got))
	}
	if gap := got[1].at.Sub(got[0].at); gap < time.Second-10*time.Millisecond {
		t.Errorf("retried after %v despite Retry-After: 1", gap)
	}
	checkExactlyOnce(t, rc, []string{id})
}

func TestGivesUpAfterMaxAge(t *testing.T) {
	rc := &receiver{answer: func(int, *http.Request, []byte, http.Header) (int, string) {
		return http.StatusInternalServerError, "boom"
	}}
	srv := serve(t, rc)
	var skew atomic.Int64 // how far the outbox's clock is ahead
	cfg, logs := testConfig(t)
	cfg.URL = srv.URL
	cfg.DB = openDB(t, tempDBPath(t))
	cfg.MaxAge = time.Hour
	cfg.Now = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	o := mustNew(t, cfg)
	id := enqueue(t, o, "Recordings.Available", recordingsAvailable{})
	start(t, o)
	eventually(t, "a failed attempt", func() bool { return len(rc.got()) >= 1 })
	skew.Store(int64(2 * time.Hour))
	flush(t, o)
	logged := logs.entries(map[string]any{"id": id, "level": "error"})
	if len(logged) != 1 || !strings.Contains(fmt.Sprint(logged[0]["message"]), "given up") {
		t.Errorf("giving up logged as %v; want one error", logged)
	}
}

func TestNew(t *testing.T) {
	db := openDB(t, tempDBPath(t))
	bad := map[string]Config{
		"not http":       {URL: "ftp://example.com/hook", Secret: testSecret, DB: db},
		"relative":       {URL: "/hook", Secret: testSecret, DB: db},
		"no host":        {URL: "http:///hook", Secret: testSecret, DB: db},
		"unparsable":     {URL: "http://user:hunter2@[::1", Secret: testSecret, DB: db},
		"short secret":   {URL: "https://example.com/hook", Secret: []byte("short"), DB: db},
		"no database":    {URL: "https://example.com/hook", Secret: testSecret},
		"backoffs":       {URL: "https://example.com/hook", Secret: testSecret, DB: db, MinBackoff: time.Minute, MaxBackoff: time.Second},
		"negative":       {URL: "https://example.com/hook", Secret: testSecret, DB: db, Timeout: -time.Second},
		"secret in logs": {URL: "gopher://user:hunter2@example.com/", Secret: testSecret, DB: db},
	}
	for name, cfg := range bad {
		_, err := New(cfg)
		if err == nil {
			t.Errorf("%s: New accepted %+v", name, cfg)
		} else if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: the error shows the URL's password: %v", name, err)
		}
	}

	o, err := New(Config{URL: "https://example.com/hook", Secret: testSecret, DB: db})
	if err != nil {
		t.Fatal(err)
	}
	c := o.cfg
	if c.MinBackoff != time.Second || c.MaxBackoff != 5*time.Minute || c.MaxAge != 72*time.Hour || c.Timeout != 10*time.Second {
		t.Errorf("defaults %v %v %v %v", c.MinBackoff, c.MaxBackoff, c.MaxAge, c.Timeout)
	}
	if _, err := o.Enqueue(context.Background(), "bad type\r\nX-Injected: 1", nil); err == nil {
		t.Error("an event type that would break its header was accepted")
	}
	if _, err := o.Enqueue(context.Background(), "Recordings.Available", func() {}); err == nil {
		t.Error("an unmarshalable payload was accepted")
	}
}

func TestDisabled(t *testing.T) {
	o, err := New(Config{}) // no URL: no secret or database needed
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if id, err := o.Enqueue(ctx, "Recordings.Available", recordingsAvailable{}); id != "" || err != nil {
		t.Errorf("Enqueue = %q, %v; want nothing stored and no error", id, err)
	}
	if n, err := o.Pending(ctx); n != 0 || err != nil {
		t.Errorf("Pending = %d, %v", n, err)
	}
	if err := o.Flush(ctx); err != nil {
		t.Errorf("Flush = %v", err)
	}
	start(t, o)() // returns once cancelled
}

func TestBackoffAndRetryAfter(t *testing.T) {
	o := &Outbox{cfg: Config{MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second}}
	for n, step := range []time.Duration{100, 200, 400, 800, 1000, 1000} {
		step *= time.Millisecond
		for range 50 {
			if d := o.backoff(n + 1); d > step || d < step*3/4 {
				t.Fatalf("backoff(%d) = %v, want within [%v, %v]", n+1, d, step*3/4, step)
			}
		}
	}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"":                     0,
		"7":                    7 * time.Second,
		"-3":                   0,
		"soon":                 0,
		"99999999999999999999": 0, // not an int64: ignored
		"9223372036854775807":  maxRetryAfter,
		now.Add(time.Minute).Format(http.TimeFormat):  time.Minute,
		now.Add(-time.Minute).Format(http.TimeFormat): 0,
	} {
		h := http.Header{}
		if v != "" {
			h.Set("Retry-After", v)
		}
		if got := retryAfter(h, now); got != want {
			t.Errorf("Retry-After %q = %v, want %v", v, got, want)
		}
	}
}

func TestEventTypes(t *testing.T) {
	for _, good := range []string{"Recordings.Available", "conference-ended", "a_b.C9"} {
		if err := checkEventType(good); err != nil {
			t.Errorf("%q: %v", good, err)
		}
	}
	for _, bad := range []string{"", "with space", "x\ny", strings.Repeat("a", 101), "é"} {
		if checkEventType(bad) == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
