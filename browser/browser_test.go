package browser

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// launch starts a browser and opens a w x h tab in it.
func launch(t *testing.T, w, h int) *Tab {
	t.Helper()
	return launchWith(t, Options{}, w, h)
}

// launchWith starts a browser with o, in a fresh work directory, closed at the test's end, and
// opens a w x h tab in it.
func launchWith(t *testing.T, o Options, w, h int) *Tab {
	t.Helper()
	return newTab(t, launchBrowser(t, o), w, h)
}

func launchBrowser(t *testing.T, o Options) *Browser {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	o.WorkDir, o.Log = t.TempDir(), zerolog.Nop()
	b, err := Launch(ctx, o)
	if err != nil {
		t.Fatalf("launch: %v", err)
	}
	t.Cleanup(func() {
		b.Close()
		if n := killMatching([]byte("--user-data-dir=" + b.profileDir)); n != 0 {
			t.Errorf("%d chromium processes still running after Close", n)
		}
	})
	return b
}

func newTab(t *testing.T, b *Browser, w, h int) *Tab {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tab, err := b.NewTab(ctx, TabOptions{Width: w, Height: h, Log: zerolog.Nop()})
	if err != nil {
		t.Fatalf("new tab: %v", err)
	}
	t.Cleanup(tab.Close)
	return tab
}

func page(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(`<!doctype html><title>t</title><body style="margin:0;background:#246">hello</body>`))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestViewportIsExactlyTheRequestedSize(t *testing.T) {
	srv := page(t)
	for _, size := range [][2]int{{1280, 720}, {1920, 1080}, {640, 360}} {
		b := launch(t, size[0], size[1])
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		if err := b.Open(ctx, srv.URL+"/"); err != nil {
			t.Fatalf("%v: open: %v", size, err)
		}
		got, err := b.Evaluate(ctx, "innerWidth + 'x' + innerHeight")
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("%dx%d", size[0], size[1]); got != want {
			t.Errorf("viewport %s, want %s", got, want)
		}
		b.Close()
		b.b.Close()
	}
}

func TestEvaluate(t *testing.T) {
	srv := page(t)
	b := launch(t, 640, 360)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := b.Open(ctx, srv.URL+"/"); err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"document.title":  "t",
		"1+2":             "3",
		"({a: [1, 'x']})": `{"a":[1,"x"]}`,
		"undefined":       "undefined",
		"new Promise(r => setTimeout(() => r('late'), 50))": "late",
	}
	for js, want := range cases {
		got, err := b.Evaluate(ctx, js)
		if err != nil || got != want {
			t.Errorf("Evaluate(%q) = %q, %v; want %q", js, got, err, want)
		}
	}
	_, err := b.Evaluate(ctx, "throw new Error('boom')")
	var se *ScriptError
	if !errors.As(err, &se) || !strings.Contains(se.Message, "boom") {
		t.Errorf("throwing JS: got %v, want a ScriptError naming boom", err)
	}
}

func TestOpenNamesTheCause(t *testing.T) {
	srv := page(t)
	closed := httptest.NewServer(http.NotFoundHandler())
	refusedURL := closed.URL + "/"
	closed.Close()
	b := launch(t, 640, 360)
	cases := map[string]string{
		srv.URL + "/missing":           "HTTP 404",
		refusedURL:                     "connection refused",
		"http://no-such-host.invalid/": "DNS lookup failed",
	}
	for u, want := range cases {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		err := b.Open(ctx, u)
		cancel()
		var pe *PageError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), want) {
			t.Errorf("Open(%s) = %v; want a PageError with %q", u, err, want)
		}
	}
}

func TestKilledBrowserIsReported(t *testing.T) {
	b := launch(t, 640, 360)
	p, err := os.FindProcess(b.PID())
	if err != nil {
		t.Fatal(err)
	}
	p.Kill()
	select {
	case <-b.Dead():
		if !errors.Is(b.Err(), ErrCrashed) {
			t.Errorf("Err = %v, want ErrCrashed", b.Err())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a killed browser was not reported")
	}
}
