package browser

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/inspector"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/rs/zerolog"
)

// TabOptions configure one session's tab.
type TabOptions struct {
	// Width and Height are the exact viewport size, which is also the captured video size.
	Width, Height int
	// Log receives the page's console output and the tab's lifecycle events.
	Log zerolog.Logger
	// OnConsole, if set, receives every console message of the page (e.g. recording signals).
	OnConsole func(text string)
	// OnConsoleError, if set, receives the page's console errors and uncaught exceptions.
	OnConsoleError func(text string)
	// Script, if set, runs in every document the tab loads before the document's own scripts.
	// A tab made ahead of time (see Pool) has none, so a tab with one is always made anew.
	Script string
}

// Tab is one session's page: a tab in a browser context of its own, in its own window.
type Tab struct {
	b         *Browser
	opts      TabOptions
	contextID cdp.BrowserContextID
	targetID  target.ID

	ctx    context.Context // the tab; cancelled when the tab or its browser goes away
	cancel context.CancelFunc

	mu           sync.Mutex
	worker       context.Context    // the extension's service worker of the tab's context, once attached
	cancelWorker context.CancelFunc // detaches from it

	dead     chan struct{} // closed when the browser exits, the page's renderer crashes or the tab closes
	deadOnce sync.Once
	deadErr  error

	// release gives the tab's place in its browser back (see Pool); broken says the tab could
	// not be cleaned up, so the browser should take no more tabs.
	release   func(broken bool)
	started   func() // called by Started
	startOnce sync.Once
	counted   bool // in the browser's count of tabs
	closeOnce sync.Once
}

// NewTab opens a blank tab in a new browser context and a new window of o's size. Nothing is
// left behind when it fails.
func (b *Browser) NewTab(ctx context.Context, o TabOptions) (*Tab, error) {
	if err := b.Err(); err != nil {
		return nil, err
	}
	bctx, stop := withCancelOf(b.ctx, ctx)
	defer stop()
	bc, err := chromedp.CallBrowser(bctx, target.CreateBrowserContext, target.CreateBrowserContextParams{})
	if err != nil {
		return nil, b.failure("create a browser context", err)
	}
	t := &Tab{b: b, opts: o, contextID: bc.BrowserContextID, dead: make(chan struct{})}
	yes := true
	created, err := chromedp.CallBrowser(bctx, target.CreateTarget, target.CreateTargetParams{
		URL: "about:blank", BrowserContextID: t.contextID, NewWindow: &yes,
		Width: int64(o.Width), Height: int64(o.Height),
	})
	if err != nil {
		t.dispose()
		return nil, b.failure("open a tab", err)
	}
	t.targetID = created.TargetID
	t.ctx, t.cancel = chromedp.NewContext(b.ctx, chromedp.WithTargetID(t.targetID), chromedp.WithListener(t.onEvent))
	// As with the browser, the first Run attaches for the tab's lifetime: the caller's deadline
	// goes around it.
	err = attach(t.ctx, ctx)
	if err != nil {
		t.Close()
		return nil, b.failure("attach to the tab", err)
	}
	if o.Script != "" {
		if err := t.addScript(ctx, o.Script); err != nil {
			t.Close()
			return nil, b.failure("install the tab's script", err)
		}
	}
	b.mu.Lock()
	b.tabs++
	b.mu.Unlock()
	t.counted = true
	go t.watch()
	return t, nil
}

// failure is err, or the browser's death when that is the cause.
func (b *Browser) failure(what string, err error) error {
	if dead := b.Err(); dead != nil {
		return dead
	}
	return fmt.Errorf("%s: %w", what, err)
}

// watch turns the end of the browser or of the tab into the death of the tab.
func (t *Tab) watch() {
	select {
	case <-t.b.Dead():
		t.die(t.b.Err())
	case <-t.ctx.Done():
		// When the browser process dies, its tabs' contexts can end a moment before the
		// browser's death is noticed: name the browser then, not the tab.
		select {
		case <-t.b.Dead():
			t.die(t.b.Err())
		case <-time.After(time.Second):
			t.die(fmt.Errorf("%w: the page's tab closed", ErrCrashed))
		}
	case <-t.dead:
	}
}

// options are the tab's options; a tab made ahead gets its session's when it is taken.
func (t *Tab) options() TabOptions {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.opts
}

func (t *Tab) onEvent(ev any) {
	o := t.options()
	switch e := ev.(type) {
	case *inspector.EventTargetCrashed:
		t.die(fmt.Errorf("%w: the page's renderer process died", ErrCrashed))
	case *runtime.EventConsoleAPICalled:
		text := consoleText(e)
		o.Log.Debug().Str("console", string(e.Type)).Msg(text)
		if o.OnConsole != nil {
			o.OnConsole(text)
		}
		if e.Type == runtime.ConsoleAPICalledTypeError && o.OnConsoleError != nil {
			o.OnConsoleError(text)
		}
	case *runtime.EventExceptionThrown:
		o.Log.Debug().Str("exception", e.ExceptionDetails.Text).Msg("page exception")
		if o.OnConsoleError != nil {
			o.OnConsoleError(exceptionText(e.ExceptionDetails))
		}
	}
}

func (t *Tab) die(err error) {
	t.deadOnce.Do(func() {
		t.deadErr = err
		close(t.dead)
	})
}

// Dead is closed when the browser exits, the page's renderer crashes or the tab is closed;
// Err says which. Other tabs of the same browser live on after a renderer crash.
func (t *Tab) Dead() <-chan struct{} { return t.dead }

// Err is the reason Dead closed.
func (t *Tab) Err() error {
	select {
	case <-t.dead:
		return t.deadErr
	default:
		return nil
	}
}

// Started tells that the session's start is done (its media flows): the pool may now make a
// tab ahead for the next session in this browser.
func (t *Tab) Started() {
	t.startOnce.Do(func() {
		if t.started != nil {
			t.started()
		}
	})
}

// Close closes the tab and disposes of its browser context (cookies, storage, cache, and the
// capture running in it), then gives its place in the browser back. Safe to call twice.
func (t *Tab) Close() {
	t.closeOnce.Do(func() {
		t.die(errors.New("tab closed"))
		t.mu.Lock()
		if t.cancelWorker != nil {
			t.cancelWorker()
		}
		t.mu.Unlock()
		if t.cancel != nil {
			t.cancel() // detaches and closes the target
		}
		broken := t.dispose() != nil
		if t.counted {
			t.b.mu.Lock()
			t.b.tabs--
			t.b.mu.Unlock()
		}
		if t.release != nil {
			t.release(broken)
		}
	})
}

// dispose removes the tab's browser context with everything in it.
func (t *Tab) dispose() error {
	if t.b.Err() != nil {
		return nil // gone with the browser
	}
	ctx, cancel := context.WithTimeout(t.b.ctx, 5*time.Second)
	defer cancel()
	_, err := chromedp.CallBrowser(ctx, target.DisposeBrowserContext,
		target.DisposeBrowserContextParams{BrowserContextID: t.contextID})
	if err != nil && t.b.Err() == nil {
		log := t.options().Log
		log.Warn().Err(err).Msg("disposing of the tab's browser context")
		return err
	}
	return nil
}
