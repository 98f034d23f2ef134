package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"mediapush/browser"
	"mediapush/controller"
)

// sessionFlags are the flags of whatever runs sessions, serve and worker alike: the data
// directory, the start timeouts, Chromium, the browser pool and the destinations allowed.
type sessionFlags struct {
	data, level, sandbox        *string
	startTimeout, signalTimeout *time.Duration
	allow                       listFlag
	chromiumSwitches            []string
	pool                        browser.PoolSettings
}

func declareSessionFlags(fs *flag.FlagSet) *sessionFlags {
	f := &sessionFlags{pool: browser.DefaultPoolSettings}
	f.data = fs.String("data", "./data", "directory for recordings, the catalog and temporary files")
	f.level = fs.String("log-level", "info", "debug, info, warn or error")
	f.startTimeout = fs.Duration("start-timeout", 30*time.Second, "longest a start call may take (page load to first frame)")
	f.signalTimeout = fs.Duration("start-signal-timeout", 30*time.Second, "longest wait for a page's start signal (awaitStartSignal)")
	fs.Var(&f.allow, "allow-destination", "CIDR, IP address, host name or host:port that pages, pushes and the webhook may reach although "+
		"it is internal (loopback, private, link-local, metadata); repeatable or comma-separated")
	fs.Func("chromium-switch", "a Chromium switch for every browser, --name or --name=value (repeat the flag for more)", func(v string) error {
		if _, err := browser.ParseServerSwitches([]string{v}); err != nil {
			return err
		}
		f.chromiumSwitches = append(f.chromiumSwitches, v)
		return nil
	})
	f.sandbox = fs.String("chromium-sandbox", string(browser.SandboxAuto), "run Chromium in its sandbox: auto (where the host allows it), on or off")
	fs.IntVar(&f.pool.Warm, "warm-browsers", f.pool.Warm, "browsers with room for another session kept running ahead of the starts that need them; 0: launch one when a start needs it")
	fs.IntVar(&f.pool.TabsPerBrowser, "tabs-per-browser", f.pool.TabsPerBrowser, "sessions sharing one browser at most, each in a browser context of its own")
	fs.IntVar(&f.pool.SessionsPerBrowser, "sessions-per-browser", f.pool.SessionsPerBrowser, "sessions one browser serves before it is replaced by a fresh one")
	return f
}

// config checks the flags and makes the configuration they describe, with its logger; the
// data directory is created.
func (f *sessionFlags) config(lim limitsFlags) (controller.Config, error) {
	limits, err := lim.limits()
	if err != nil {
		return controller.Config{}, err
	}
	if err := f.pool.Validate(); err != nil {
		return controller.Config{}, fmt.Errorf("browser pool: %w", err)
	}
	sandboxMode, err := browser.ParseSandboxMode(*f.sandbox)
	if err != nil {
		return controller.Config{}, fmt.Errorf("--chromium-sandbox: %w", err)
	}
	log, err := newLogger(*f.level)
	if err != nil {
		return controller.Config{}, err
	}
	if err := os.MkdirAll(*f.data, 0o750); err != nil {
		return controller.Config{}, err
	}
	cfg := controller.Config{DataDir: *f.data, StartTimeout: *f.startTimeout, StartSignalTimeout: *f.signalTimeout,
		ChromiumSwitches: f.chromiumSwitches, ChromiumSandbox: sandboxMode, Browsers: f.pool, Limits: limits, Log: log}
	cfg.Destinations.Allow = f.allow
	return cfg, nil
}
