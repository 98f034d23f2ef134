package browser

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"time"
)

// PoolOptions configure a Pool.
type PoolOptions struct {
	PoolSettings
	// Browser is how every browser is launched. Its WorkDir is the directory under which each
	// browser gets one of its own, removed when it closes; its Switches are ignored (each
	// session brings its own).
	Browser Options
	// LaunchTimeout bounds the launch of a warm browser. Default 30 s.
	LaunchTimeout time.Duration
}

// Pool runs sessions as tabs in shared browsers, each tab in a browser context of its own,
// and keeps browsers launched ahead of the starts that need them. A session whose Chromium
// switches differ from the pool's, or that asks for it, gets a browser of its own.
type Pool struct {
	opts PoolOptions
	core *poolCore
}

// NewPool starts the warm browsers in the background and returns at once.
func NewPool(o PoolOptions) (*Pool, error) {
	o.PoolSettings = o.PoolSettings.withDefaults()
	if err := o.PoolSettings.Validate(); err != nil {
		return nil, err
	}
	if o.Browser.WorkDir == "" {
		return nil, errors.New("browser pool: no work directory")
	}
	if o.LaunchTimeout == 0 {
		o.LaunchTimeout = 30 * time.Second
	}
	if err := os.MkdirAll(o.Browser.WorkDir, 0o700); err != nil {
		return nil, err
	}
	p := &Pool{opts: o}
	p.core = newPoolCore(o.PoolSettings, p.launch, o.Browser.Log)
	return p, nil
}

// pooledBrowser is a browser with the directory made for it, removed when it closes.
type pooledBrowser struct {
	*Browser
	dir string
}

func (b pooledBrowser) Close() {
	b.Browser.Close()
	os.RemoveAll(b.dir)
}

// launch starts a browser with switches in a directory of its own. A shared one makes a tab
// ahead for its first session at once.
func (p *Pool) launch(ctx context.Context, own bool, switches map[string]any) (chromium, error) {
	ctx, cancel := context.WithTimeout(ctx, p.opts.LaunchTimeout)
	defer cancel()
	suffix := make([]byte, 4)
	rand.Read(suffix) //nolint:errcheck // never fails
	dir := filepath.Join(p.opts.Browser.WorkDir, "chromium-"+hex.EncodeToString(suffix))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	o := p.opts.Browser
	o.WorkDir, o.Switches = dir, switches
	b, err := Launch(ctx, o)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if !own {
		b.prepareSpare()
	}
	return pooledBrowser{b, dir}, nil
}

// TabRequest is what a session asks of the pool.
type TabRequest struct {
	TabOptions
	// Switches are the session's Chromium switches (see ParseSwitches). Switches apply to a
	// whole browser, so any that change the pool's make the session's browser its own.
	Switches map[string]any
	// OwnBrowser runs the session in a browser of its own, for pages that need more isolation
	// than a browser context gives (their own processes, crashes that touch nobody else).
	OwnBrowser bool
}

// NewTab opens a session's tab in a browser of the pool, or in one of its own. A failure
// leaves no tab, browser context or browser of its own behind.
func (p *Pool) NewTab(ctx context.Context, r TabRequest) (*Tab, error) {
	own := r.OwnBrowser || !p.sharedSwitches(r.Switches)
	m, err := p.core.acquire(ctx, own, r.Switches)
	if err != nil {
		return nil, err
	}
	b := m.b.(pooledBrowser).Browser
	t := b.takeSpare(ctx, r.TabOptions)
	if t == nil {
		if t, err = b.NewTab(ctx, r.TabOptions); err != nil {
			// A browser that could not open a tab takes no more: something is wrong with it.
			p.core.release(m, b.Err() == nil)
			return nil, err
		}
	}
	// The next session's tab is made once this one has started (or ended), so that the two
	// do not compete for the CPU while this one starts.
	nextSpare := func() {
		if !own && p.core.takesMore(m) {
			b.prepareSpare()
		}
	}
	t.started = nextSpare
	t.release = func(broken bool) {
		p.core.release(m, broken)
		nextSpare()
	}
	return t, nil
}

// sharedSwitches says whether a session with the caller's switches can run in a shared browser:
// they leave the pool's switches as they are.
func (p *Pool) sharedSwitches(caller map[string]any) bool {
	if len(caller) == 0 {
		return true
	}
	o := p.opts.Browser
	return maps.Equal(mergeSwitches(o.ServerSwitches, caller, o.Sandbox), mergeSwitches(o.ServerSwitches, nil, o.Sandbox))
}

// Close closes every browser of the pool, removes its work directory and refuses new tabs.
// Tabs still open end with their browsers.
func (p *Pool) Close() {
	p.core.close()
	os.RemoveAll(p.opts.Browser.WorkDir)
}

// Browsers is the number of browsers running or launching, warm ones included.
func (p *Pool) Browsers() int { return p.core.counts().Browsers }

// String describes the pool's state for logs.
func (p *Pool) String() string {
	n := p.core.counts()
	return fmt.Sprintf("%d browsers (%d launching, %d with room), %d tabs", n.Browsers, n.Launching, n.Ready, n.Tabs)
}
