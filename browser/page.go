package browser

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"mediapush/internal/destination"
	"mediapush/internal/redact"
)

// Open navigates the tab to pageURL with the viewport at exactly the configured size. It fails
// with a PageError when the page cannot be loaded or answers with an HTTP error status.
func (t *Tab) Open(ctx context.Context, pageURL string) error {
	ctx, stop := t.bind(ctx)
	defer stop()
	if err := t.fitViewport(ctx); err != nil {
		return err
	}
	resp, err := chromedp.RunResponse(ctx, chromedp.Navigate(pageURL))
	if err != nil {
		return t.loadFailure(pageURL, err)
	}
	if resp != nil && resp.Status >= 400 {
		for name, v := range resp.Headers {
			if reason, ok := v.(string); ok && strings.EqualFold(name, destination.ErrorHeader) {
				return &PageError{URL: pageURL, Reason: reason}
			}
		}
		return &PageError{URL: pageURL, Reason: fmt.Sprintf("the page answered HTTP %d %s", resp.Status, resp.StatusText)}
	}
	// Navigation can move the page to a new renderer; make sure the size held.
	return t.fitViewport(ctx)
}

// PageError says why a page could not be opened.
type PageError struct {
	URL    string
	Reason string
}

// Error names the page without the credentials its URL may carry.
func (e *PageError) Error() string {
	return fmt.Sprintf("cannot open %s: %s", redact.Text(e.URL), e.Reason)
}

// loadFailure names the cause of a failed navigation in words a caller can act on.
func (t *Tab) loadFailure(pageURL string, err error) error {
	if dead := t.Err(); dead != nil {
		return dead
	}
	var le *chromedp.LoadError
	if !errors.As(err, &le) {
		if errors.Is(err, context.DeadlineExceeded) {
			return &PageError{URL: pageURL, Reason: "the page did not finish loading in time"}
		}
		return &PageError{URL: pageURL, Reason: err.Error()}
	}
	host := pageURL
	if u, perr := url.Parse(pageURL); perr == nil {
		host = u.Host
	}
	reasons := map[string]string{
		"net::ERR_NAME_NOT_RESOLVED":        "DNS lookup failed for " + host,
		"net::ERR_CONNECTION_REFUSED":       "connection refused by " + host,
		"net::ERR_CONNECTION_TIMED_OUT":     "connection to " + host + " timed out",
		"net::ERR_TIMED_OUT":                "connection to " + host + " timed out",
		"net::ERR_ADDRESS_UNREACHABLE":      host + " is unreachable",
		"net::ERR_INTERNET_DISCONNECTED":    host + " is unreachable",
		"net::ERR_CONNECTION_RESET":         "connection reset by " + host,
		"net::ERR_EMPTY_RESPONSE":           host + " closed the connection without answering",
		"net::ERR_CERT_AUTHORITY_INVALID":   "the TLS certificate of " + host + " is not trusted",
		"net::ERR_CERT_COMMON_NAME_INVALID": "the TLS certificate does not match " + host,
		"net::ERR_SSL_PROTOCOL_ERROR":       "TLS handshake with " + host + " failed",
		"net::ERR_TUNNEL_CONNECTION_FAILED": "the page or a redirect of it goes to a destination that is refused or unreachable (the log names it)",
	}
	if r, ok := reasons[le.ErrorText]; ok {
		return &PageError{URL: pageURL, Reason: r + " (" + le.ErrorText + ")"}
	}
	return &PageError{URL: pageURL, Reason: le.ErrorText}
}

// fitViewport makes the page's viewport exactly Width x Height. Headless Chromium draws
// browser UI inside the window, so the window size alone leaves a shorter viewport. Each tab
// has a window of its own, so the sizes of other sessions are not affected.
func (t *Tab) fitViewport(ctx context.Context) error {
	o := t.options()
	w, h := o.Width, o.Height
	var got [2]int
	for try := 0; try < 10; try++ {
		win, err := chromedp.CallBrowser(ctx, browser.GetWindowForTarget, browser.GetWindowForTargetParams{TargetID: t.targetID})
		if err != nil {
			return fmt.Errorf("size the viewport: %w", err)
		}
		if _, err := chromedp.CallBrowser(ctx, browser.SetContentsSize,
			browser.SetContentsSizeParams{WindowID: win.WindowID, Width: int64(w), Height: int64(h)}); err != nil {
			return fmt.Errorf("size the viewport: %w", err)
		}
		got, err = chromedp.Run(ctx, chromedp.Evaluate[[2]int]("[innerWidth, innerHeight]"))
		if err != nil {
			return fmt.Errorf("size the viewport: %w", err)
		}
		if got == [2]int{w, h} {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("the viewport stays %dx%d instead of %dx%d", got[0], got[1], w, h)
}

// CaptureOptions say where and how the tab is published.
type CaptureOptions struct {
	IngestURL    string `json:"ingestUrl"`
	Secret       string `json:"secret"`
	VideoCodec   string `json:"videoCodec"` // H264, VP8 or VP9
	VideoBitrate int    `json:"videoBitrate"`
	AudioBitrate int    `json:"audioBitrate"`
	FrameRate    int    `json:"frameRate"`
	Width        int    `json:"width"`
	Height       int    `json:"height"`
}

// StartCapture has the extension capture the tab and publish it to o.IngestURL. It returns
// once the WebRTC offer/answer is done; media follows a moment later.
func (t *Tab) StartCapture(ctx context.Context, o CaptureOptions) error {
	ctx, stop := t.bind(ctx)
	defer stop()
	wctx, err := t.captureWorker(ctx)
	if err != nil {
		return err
	}
	arg, err := json.Marshal(struct {
		CaptureOptions
		TargetID target.ID `json:"targetId"`
	}{o, t.targetID})
	if err != nil {
		return err
	}
	callCtx, stopCall := withCancelOf(wctx, ctx)
	defer stopCall()
	if _, _, err := evaluate(callCtx, "startCapture("+string(arg)+")", false); err != nil {
		if dead := t.Err(); dead != nil {
			return dead
		}
		return fmt.Errorf("start tab capture: %w", err)
	}
	return nil
}

// captureWorker attaches to the capture extension's service worker of the tab's browser
// context, once: the extension runs once per browser context, so this worker is the tab's own.
// It stays attached until the tab closes; detaching leaves it running (closing its target would
// end the service worker).
func (t *Tab) captureWorker(ctx context.Context) (context.Context, error) {
	t.mu.Lock()
	wctx := t.worker
	t.mu.Unlock()
	if wctx != nil {
		return wctx, nil
	}
	id, err := t.extensionWorker(ctx)
	if err != nil {
		return nil, err
	}
	wctx, cancel := chromedp.NewContext(t.b.ctx, chromedp.WithTargetID(id), chromedp.WithDetachOnCancel())
	// The first Run attaches, and the target's events are read for as long as its context
	// lives: it must be the long-lived one, with the caller's deadline around it.
	err = attach(wctx, ctx)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("attach to the capture extension: %w", err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.worker != nil { // attached meanwhile
		cancel()
		return t.worker, nil
	}
	t.worker, t.cancelWorker = wctx, cancel
	return wctx, nil
}

// prepareCapture starts what a capture needs before the page is known: the extension's service
// worker of the tab's context, attached, and its offscreen document.
func (t *Tab) prepareCapture(ctx context.Context) error {
	wctx, err := t.captureWorker(ctx)
	if err != nil {
		return err
	}
	callCtx, stop := withCancelOf(wctx, ctx)
	defer stop()
	if _, _, err := evaluate(callCtx, "offscreenDocument()", false); err != nil {
		return fmt.Errorf("prepare tab capture: %w", err)
	}
	return nil
}

// extensionWorker waits for the capture extension's service worker of the tab's browser
// context to be running.
func (t *Tab) extensionWorker(ctx context.Context) (target.ID, error) {
	prefix := "chrome-extension://" + extensionID + "/"
	for {
		targets, err := chromedp.Targets(t.b.ctx)
		if err != nil {
			return "", fmt.Errorf("find the capture extension: %w", err)
		}
		for _, w := range targets {
			if w.Type == "service_worker" && w.BrowserContextID == t.contextID && strings.HasPrefix(w.URL, prefix) {
				return w.TargetID, nil
			}
		}
		select {
		case <-ctx.Done():
			return "", errors.New("the capture extension did not start")
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Evaluate runs js in the page, awaiting a returned promise, and returns its value as text:
// strings as they are, other values as JSON, undefined as "undefined". A thrown exception is
// returned as an error carrying its message.
func (t *Tab) Evaluate(ctx context.Context, js string) (string, error) {
	ctx, stop := t.bind(ctx)
	defer stop()
	out, _, err := evaluate(ctx, js, true)
	if err != nil && t.Err() != nil {
		return "", t.Err()
	}
	return out, err
}

// ExecuteScript runs body as the body of a function, as WebDriver's Execute Script (and
// Selenium's executeScript, which Ant Media's Media Push uses) does: "return x" gives x. A
// returned promise is awaited; null and undefined come back as "".
func (t *Tab) ExecuteScript(ctx context.Context, body string) (string, error) {
	ctx, stop := t.bind(ctx)
	defer stop()
	// The newlines keep a trailing // comment in body from swallowing the call.
	out, nullish, err := evaluate(ctx, "(function(){\n"+body+"\n}).call(window)", true)
	if err != nil && t.Err() != nil {
		return "", t.Err()
	}
	if nullish {
		return "", err
	}
	return out, err
}

// evaluate runs js and returns its value as text, and whether it was null or undefined.
func evaluate(ctx context.Context, js string, gesture bool) (string, bool, error) {
	yes := true
	res, err := chromedp.Call(ctx, runtime.Evaluate, runtime.EvaluateParams{
		Expression: js, ReturnByValue: &yes, AwaitPromise: &yes, UserGesture: &gesture,
	})
	if err != nil {
		return "", false, err
	}
	if ex := res.ExceptionDetails; ex != nil {
		return "", false, &ScriptError{Message: exceptionText(ex)}
	}
	r := res.Result
	if r == nil || r.Type == runtime.RemoteObjectTypeUndefined {
		return "undefined", true, nil
	}
	if r.Subtype == runtime.RemoteObjectSubtypeNull {
		return "null", true, nil
	}
	if r.UnserializableValue != "" {
		return string(r.UnserializableValue), false, nil
	}
	var s string
	if r.Type == runtime.RemoteObjectTypeString && json.Unmarshal(r.Value, &s) == nil {
		return s, false, nil
	}
	if len(r.Value) > 0 {
		return string(r.Value), false, nil
	}
	return r.Description, false, nil
}

// ScriptError is an exception thrown by JavaScript run in the page.
type ScriptError struct{ Message string }

func (e *ScriptError) Error() string { return "JavaScript error: " + e.Message }

// bind derives from the tab's own context one that also ends when ctx does: chromedp
// calls need the former, the caller's deadline comes from the latter.
func (t *Tab) bind(ctx context.Context) (context.Context, context.CancelFunc) {
	return withCancelOf(t.ctx, ctx)
}

func withCancelOf(base, caller context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(base)
	stop := context.AfterFunc(caller, func() { cancel(context.Cause(caller)) })
	return ctx, func() { stop(); cancel(nil) }
}

// consoleText joins a console call's arguments the way DevTools prints them.
func consoleText(e *runtime.EventConsoleAPICalled) string {
	parts := make([]string, 0, len(e.Args))
	for _, a := range e.Args {
		var s string
		if a.Type == runtime.RemoteObjectTypeString && json.Unmarshal(a.Value, &s) == nil {
			parts = append(parts, s)
		} else if len(a.Value) > 0 {
			parts = append(parts, string(a.Value))
		} else {
			parts = append(parts, a.Description)
		}
	}
	return strings.Join(parts, " ")
}
