package browser

import (
	"context"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// attach makes the first call on target, which attaches chromedp to it (or starts the browser)
// for as long as target lives, and waits for it within ctx. The call must run on the
// long-lived context (a cancelled one would detach or kill it), so the caller's deadline is
// applied around it instead.
func attach(target, ctx context.Context) error {
	done := make(chan error, 1)
	go func() {
		_, err := chromedp.Call(target, runtime.Enable, cdp.Empty{})
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
