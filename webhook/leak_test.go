package webhook

import (
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"
)

// TestRunLeavesNoGoroutines stops Run in every state it waits in: idle, backing off, and with
// a request in flight. Each time Run must return at once, and the goroutine count must fall
// back to where it was. The receiver stays up meanwhile: closing it would end the client's
// kept-alive connections, and with them the goroutines an outbox failed to release.
func TestRunLeavesNoGoroutines(t *testing.T) {
	hang := make(chan struct{}, 1)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("mode") {
		case "down":
			w.WriteHeader(http.StatusServiceUnavailable)
		case "hang":
			// The server notices the client hanging up only once the body is read.
			io.Copy(io.Discard, r.Body)
			hang <- struct{}{}
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}
	}))
	defer srv.Close()
	defer close(release)
	before := runtime.NumGoroutine()

	for _, mode := range []string{"up", "down", "hang"} {
		cfg, _ := testConfig(t)
		cfg.URL = srv.URL + "?mode=" + mode
		cfg.DB = openDB(t, tempDBPath(t))
		cfg.Timeout = time.Minute // Run's context, not the timeout, must end the hanging request
		o := mustNew(t, cfg)      // its own client, as in production
		stop := start(t, o)
		enqueue(t, o, "Recordings.Available", recordingsAvailable{})
		switch mode {
		case "up":
			flush(t, o)
		case "down":
			time.Sleep(3 * cfg.MinBackoff)
		case "hang":
			<-hang
		}
		began := time.Now()
		stop()
		if took := time.Since(began); took > time.Second {
			t.Errorf("%s: Run took %v to return", mode, took)
		}
		cfg.DB.Close()
	}

	var now int
	for range 200 {
		if now = runtime.NumGoroutine(); now <= before {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	buf := make([]byte, 1<<20)
	t.Errorf("%d goroutines before, %d after Run ended:\n%s", before, now, buf[:runtime.Stack(buf, true)])
}
