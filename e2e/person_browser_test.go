package e2e

import (
	"context"
	"testing"

	"mediapush/browser"
)

// personBrowser is a Chromium of the test's own with one w x h tab: a person's browser or a
// player, not a capture session. Both close at the test's end.
func personBrowser(t testing.TB, ctx context.Context, o browser.Options, w, h int) *browser.Tab {
	t.Helper()
	if o.WorkDir == "" {
		o.WorkDir = t.TempDir()
	}
	b, err := browser.Launch(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	tab, err := b.NewTab(ctx, browser.TabOptions{Width: w, Height: h})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tab.Close)
	return tab
}
