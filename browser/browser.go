// Package browser runs one headless Chromium per session: it opens the page at an exact
// viewport size, captures the tab's own video and audio with the embedded extension, runs
// commands in the page, and reports when the browser or the page's renderer dies.
package browser

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/inspector"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/rs/zerolog"

	"mediapush/internal/childenv"
)

// Options configure one browser.
type Options struct {
	// ExecPath is the Chromium binary; empty finds Debian's /usr/lib/chromium/chromium or chromium on PATH.
	ExecPath string
	// Width and Height are the exact viewport size, which is also the captured video size.
	Width, Height int
	// WorkDir holds the profile, the extension and Chromium's TMPDIR. The caller creates and removes it.
	WorkDir string
	// Switches are the caller's Chromium switches (see ParseSwitches).
	Switches map[string]any
	// ServerSwitches are the operator's Chromium switches (see ParseServerSwitches); the
	// caller's replace them.
	ServerSwitches map[string]any
	// Sandbox runs Chromium in its sandbox; false adds --no-sandbox (see DecideSandbox).
	Sandbox bool
	// Log receives Chromium's console output and lifecycle events.
	Log zerolog.Logger
	// OnConsole, if set, receives every console message of the page (e.g. recording signals).
	OnConsole func(text string)
	// Proxy, when set (host:port), carries all of the browser's HTTP traffic, loopback included:
	// it is where the destination policy is enforced.
	Proxy string
}

// Browser is one running Chromium with one page tab.
type Browser struct {
	opts       Options
	profileDir string
	tmpDir     string

	cancelAlloc context.CancelFunc
	ctx         context.Context // the page tab; cancelled when the browser goes away
	cancel      context.CancelFunc

	dead     chan struct{} // closed when the browser exits or the page's renderer crashes
	deadOnce sync.Once
	deadErr  error

	closeOnce sync.Once
}

// ErrCrashed is the cause reported when the page's renderer or the browser process dies.
var ErrCrashed = errors.New("chromium crashed")

// Launch starts Chromium and waits until it answers, within ctx.
func Launch(ctx context.Context, o Options) (*Browser, error) {
	exe, err := findChromium(o.ExecPath)
	if err != nil {
		return nil, err
	}
	b := &Browser{opts: o, dead: make(chan struct{}), profileDir: filepath.Join(o.WorkDir, "profile")}
	if err := os.MkdirAll(b.profileDir, 0o700); err != nil {
		return nil, err
	}
	// Chromium leaves its singleton socket and shared-memory files in TMPDIR when killed, so
	// each browser gets its own, removed on Close. It lives under the system temp directory
	// because a Unix socket path must fit in 108 bytes.
	tmpDir, err := os.MkdirTemp("", tmpPrefix+strconv.Itoa(os.Getpid())+"-")
	if err != nil {
		return nil, err
	}
	b.tmpDir = tmpDir
	ext, err := installExtension(o.WorkDir)
	if err != nil {
		return nil, fmt.Errorf("install capture extension: %w", err)
	}
	logFile, err := os.Create(filepath.Join(o.WorkDir, "chromium.log"))
	if err != nil {
		return nil, err
	}
	allocOpts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(b.profileDir),
		chromedp.WindowSize(o.Width, o.Height),
		chromedp.Flag("load-extension", ext),
		chromedp.Flag("disable-extensions-except", ext),
		chromedp.Flag("allowlisted-extension-id", extensionID),
		// Chromium runs pages from anywhere: it gets none of mediapush's environment (its secrets).
		chromedp.NoInheritEnv,
		chromedp.Env(childenv.Minimal("TMPDIR=" + tmpDir)...),
		chromedp.CombinedOutput(logFile),
	}
	for name, value := range mergeSwitches(o.ServerSwitches, o.Switches, o.Sandbox) {
		allocOpts = append(allocOpts, chromedp.Flag(name, value))
	}
	if o.Proxy != "" {
		// Last, so that nothing above can replace them. Chromium sends requests to loopback
		// directly unless "<-loopback>" removes that implicit bypass.
		allocOpts = append(allocOpts, chromedp.Flag("proxy-server", "http://"+o.Proxy),
			chromedp.Flag("proxy-bypass-list", "<-loopback>"))
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), allocOpts...)
	tctx, cancel := chromedp.NewContext(actx, chromedp.WithListener(b.onEvent),
		chromedp.WithLogf(func(string, ...any) {}), chromedp.WithErrorf(func(f string, a ...any) {
			o.Log.Debug().Msgf("chromedp: "+f, a...)
		}))
	b.ctx, b.cancel, b.cancelAlloc = tctx, cancel, cancelAlloc

	// The first Run starts the browser; its context must be the long-lived one (a cancelled
	// context here would kill the browser), so the launch deadline is applied around it.
	started := make(chan error, 1)
	go func() {
		_, err := chromedp.Call(tctx, runtime.Enable, cdp.Empty{})
		started <- err
	}()
	select {
	case err = <-started:
	case <-ctx.Done():
		err = ctx.Err()
	}
	logFile.Close() // Chromium holds its own descriptor
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("start chromium: %w", err)
	}
	go b.watchBrowser()
	return b, nil
}

func findChromium(path string) (string, error) {
	if path != "" {
		return path, nil
	}
	// The Debian wrapper /usr/bin/chromium adds switches from /etc/chromium.d; run the binary itself.
	if _, err := os.Stat("/usr/lib/chromium/chromium"); err == nil {
		return "/usr/lib/chromium/chromium", nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("chromium is not installed (apt-get install chromium)")
}

// watchBrowser turns the loss of the browser process into a death of the session's browser.
func (b *Browser) watchBrowser() {
	c := chromedp.FromContext(b.ctx)
	if c == nil || c.Browser == nil {
		return
	}
	select {
	case <-c.Browser.LostConnection:
		b.die(fmt.Errorf("%w: the browser process exited", ErrCrashed))
	case <-b.ctx.Done():
		b.die(fmt.Errorf("%w: the browser process exited", ErrCrashed))
	}
}

func (b *Browser) onEvent(ev any) {
	switch e := ev.(type) {
	case *inspector.EventTargetCrashed:
		b.die(fmt.Errorf("%w: the page's renderer process died", ErrCrashed))
	case *runtime.EventConsoleAPICalled:
		text := consoleText(e)
		b.opts.Log.Debug().Str("console", string(e.Type)).Msg(text)
		if b.opts.OnConsole != nil {
			b.opts.OnConsole(text)
		}
	case *runtime.EventExceptionThrown:
		b.opts.Log.Debug().Str("exception", e.ExceptionDetails.Text).Msg("page exception")
	}
}

func (b *Browser) die(err error) {
	b.deadOnce.Do(func() {
		b.deadErr = err
		close(b.dead)
	})
}

// Dead is closed when the browser process exits or the page's renderer crashes; Err says which.
func (b *Browser) Dead() <-chan struct{} { return b.dead }

// Err is the reason Dead closed.
func (b *Browser) Err() error {
	select {
	case <-b.dead:
		return b.deadErr
	default:
		return nil
	}
}

// PID is the browser process id, or 0.
func (b *Browser) PID() int {
	if c := chromedp.FromContext(b.ctx); c != nil && c.Browser != nil && c.Browser.Process() != nil {
		return c.Browser.Process().Pid
	}
	return 0
}

// Close ends the browser and every process it started, and waits for them. Safe to call twice.
func (b *Browser) Close() {
	b.closeOnce.Do(func() {
		b.die(errors.New("browser closed"))
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		chromedp.Cancel(ctx) //nolint:errcheck // closing: an error only means it was gone already
		cancel()
		b.cancel()
		b.cancelAlloc()
		// Renderer, GPU and utility processes normally exit with the browser; after a SIGKILL of
		// the browser they can linger, so reap whatever still runs with this profile.
		killProcessesUsing(b.profileDir)
		os.RemoveAll(b.tmpDir)
	})
}
