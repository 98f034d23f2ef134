package browser

import (
	"bytes"
	"context"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

func TestScriptRunsBeforeThePageAndErrorsAreReported(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`<!doctype html><body style="margin:0;background:#0000ff">
<script>document.title = String(window.given); console.error("seen " + window.given); undefinedFunction();</script>`))
	}))
	defer srv.Close()
	b := launchBrowser(t, Options{})
	var mu sync.Mutex
	var errs []string
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tab, err := b.NewTab(ctx, TabOptions{Width: 320, Height: 200, Log: zerolog.Nop(),
		Script: "window.given = 42;",
		OnConsoleError: func(text string) {
			mu.Lock()
			errs = append(errs, text)
			mu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Close()
	if err := tab.Open(ctx, srv.URL+"/"); err != nil {
		t.Fatal(err)
	}
	if got, _ := tab.Evaluate(ctx, "document.title"); got != "42" {
		t.Errorf("the page saw %q of the script's value, want 42", got)
	}
	shot, err := tab.Screenshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatal(err)
	}
	if s := img.Bounds().Size(); s.X != 320 || s.Y != 200 {
		t.Errorf("screenshot %v, want 320x200", s)
	}
	if r, g, bl, _ := img.At(160, 100).RGBA(); r>>8 != 0 || g>>8 != 0 || bl>>8 != 255 {
		t.Errorf("screenshot pixel = %d,%d,%d; want the page's blue", r>>8, g>>8, bl>>8)
	}
	mu.Lock()
	defer mu.Unlock()
	joined := strings.Join(errs, "|")
	if !strings.Contains(joined, "seen 42") || !strings.Contains(joined, "undefinedFunction") {
		t.Errorf("console errors %q; want the page's console.error and its exception", errs)
	}
}
