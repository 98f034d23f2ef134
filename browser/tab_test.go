package browser

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

func TestTabsOfOneBrowserShareNoStorage(t *testing.T) {
	srv := page(t)
	b := launchBrowser(t, Options{})
	one, two := newTab(t, b, 640, 360), newTab(t, b, 800, 600)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, tab := range []*Tab{one, two} {
		if err := tab.Open(ctx, srv.URL+"/"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := one.Evaluate(ctx, "document.cookie = 'who=one'; localStorage.setItem('who', 'one')"); err != nil {
		t.Fatal(err)
	}
	got, err := two.Evaluate(ctx, "document.cookie + '|' + localStorage.getItem('who')")
	if err != nil {
		t.Fatal(err)
	}
	if got != "|null" {
		t.Errorf("the second tab sees %q of the first tab's cookie and storage; want nothing", got)
	}
	for tab, want := range map[*Tab]string{one: "640x360", two: "800x600"} {
		if got, _ := tab.Evaluate(ctx, "innerWidth + 'x' + innerHeight"); got != want {
			t.Errorf("viewport %s, want %s", got, want)
		}
	}
}

func TestRendererCrashEndsOnlyItsTab(t *testing.T) {
	srv := page(t)
	b := launchBrowser(t, Options{})
	one, two := newTab(t, b, 640, 360), newTab(t, b, 640, 360)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, tab := range []*Tab{one, two} {
		if err := tab.Open(ctx, srv.URL+"/"); err != nil {
			t.Fatal(err)
		}
	}
	// A crashed tab never answers: the call ends when the test does.
	crashCtx, stop := one.bind(context.Background())
	defer stop()
	go chromedp.Call(crashCtx, cdppage.Crash, cdp.Empty{}) //nolint:errcheck // see above
	select {
	case <-one.Dead():
		if !errors.Is(one.Err(), ErrCrashed) {
			t.Errorf("Err = %v, want ErrCrashed", one.Err())
		}
	case <-ctx.Done():
		t.Fatal("the crash was not reported")
	}
	if got, err := two.Evaluate(ctx, "document.title"); err != nil || got != "t" {
		t.Errorf("the other tab after the crash: %q, %v; want it working", got, err)
	}
	if two.Err() != nil {
		t.Errorf("the other tab died too: %v", two.Err())
	}
	if _, sharedBy := two.Processes(); sharedBy != 2 {
		t.Errorf("sharedBy = %d, want 2 tabs until the crashed one is closed", sharedBy)
	}
	one.Close()
	if pids, sharedBy := two.Processes(); sharedBy != 1 || len(pids) < 2 || pids[0] != two.PID() {
		t.Errorf("Processes = %v, %d; want the browser's tree, shared by 1", pids, sharedBy)
	}
}
