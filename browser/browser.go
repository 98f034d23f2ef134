// Package browser runs headless Chromium for capture sessions. A Browser is one Chromium
// process; each session is a Tab in it, in a browser context of its own (no cookies, storage
// or cache shared with other tabs), opened at an exact viewport size and captured, video and
// audio, by the embedded extension. A Pool keeps browsers launched ahead of the starts that
// need them and shares each among a few sessions.
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

	"github.com/chromedp/chromedp"
	"github.com/rs/zerolog"

	"mediapush/internal/childenv"
)

// Options configure one browser process.
type Options struct {
	// ExecPath is the Chromium binary; empty finds Debian's /usr/lib/chromium/chromium or chromium on PATH.
	ExecPath string
	// WorkDir holds the profile, the extension and Chromium's log. The caller creates and removes it.
	WorkDir string
	// Switches are the caller's Chromium switches (see ParseSwitches). They apply to the whole
	// process, so a session with switches of its own gets a browser of its own.
	Switches map[string]any
	// ServerSwitches are the operator's Chromium switches (see ParseServerSwitches); the
	// caller's replace them.
	ServerSwitches map[string]any
	// Sandbox runs Chromium in its sandbox; false adds --no-sandbox (see DecideSandbox).
	Sandbox bool
	// Log receives Chromium's lifecycle events.
	Log zerolog.Logger
	// Proxy, when set (host:port), carries all of the browser's HTTP traffic, loopback included:
	// it is where the destination policy is enforced.
	Proxy string
}

// Browser is one running Chromium. Its tabs are sessions (see NewTab).
type Browser struct {
	opts       Options
	profileDir string
	tmpDir     string

	cancelAlloc context.CancelFunc
	ctx         context.Context // the first tab, which stays blank; cancelled when the browser goes away
	cancel      context.CancelFunc

	dead     chan struct{} // closed when the browser process exits
	deadOnce sync.Once
	deadErr  error

	mu        sync.Mutex
	tabs      int           // open tabs of sessions, for Processes
	spare     *Tab          // a tab made ahead for the next session (see prepareSpare)
	preparing bool          // the spare is being made
	spareMade chan struct{} // closed when the spare being made is ready or failed

	closeOnce sync.Once
}

// ErrCrashed is the cause reported when a page's renderer or the browser process dies.
var ErrCrashed = errors.New("chromium crashed")

// startWindow is the size of the browser's first window, which no session uses: each tab
// opens in a window of its own, sized for it.
const startWindow = 640

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
	if err := allowExtensionInContexts(b.profileDir); err != nil {
		return nil, fmt.Errorf("prepare the chromium profile: %w", err)
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
		os.RemoveAll(tmpDir)
		return nil, fmt.Errorf("install capture extension: %w", err)
	}
	logFile, err := os.Create(filepath.Join(o.WorkDir, "chromium.log"))
	if err != nil {
		os.RemoveAll(tmpDir)
		return nil, err
	}
	allocOpts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(b.profileDir),
		chromedp.WindowSize(startWindow, startWindow),
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
	tctx, cancel := chromedp.NewContext(actx,
		chromedp.WithLogf(func(string, ...any) {}), chromedp.WithErrorf(func(f string, a ...any) {
			o.Log.Debug().Msgf("chromedp: "+f, a...)
		}))
	b.ctx, b.cancel, b.cancelAlloc = tctx, cancel, cancelAlloc

	// The first Run starts the browser; its context must be the long-lived one (a cancelled
	// context here would kill the browser), so the launch deadline is applied around it.
	err = attach(tctx, ctx)
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

// watchBrowser turns the loss of the browser process into the death of the browser.
func (b *Browser) watchBrowser() {
	c := chromedp.FromContext(b.ctx)
	if c == nil || c.Browser == nil {
		return
	}
	select {
	case <-c.Browser.LostConnection:
	case <-b.ctx.Done():
	}
	b.die(fmt.Errorf("%w: the browser process exited", ErrCrashed))
}

func (b *Browser) die(err error) {
	b.deadOnce.Do(func() {
		b.deadErr = err
		close(b.dead)
	})
}

// Dead is closed when the browser process exits or is closed; Err says which.
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

// Close ends the browser, its tabs and every process it started, and waits for them. Safe to
// call twice.
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
