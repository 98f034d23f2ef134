package browser

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/rs/zerolog"
)

// PoolSettings say how many browsers the pool keeps ready and how it shares them.
type PoolSettings struct {
	// Warm is how many browsers with room for another tab the pool keeps running ahead of
	// the starts that will need them; 0 launches browsers only when a start needs one.
	Warm int
	// TabsPerBrowser is how many sessions share one browser at most.
	TabsPerBrowser int
	// SessionsPerBrowser is how many sessions one browser serves in its life: then it takes
	// no more, and it is closed (and replaced) once its last tab is gone.
	SessionsPerBrowser int
}

// DefaultPoolSettings are mediapush's defaults: one browser ready, three tabs in each, a
// fresh browser after twenty sessions.
var DefaultPoolSettings = PoolSettings{Warm: 1, TabsPerBrowser: 3, SessionsPerBrowser: 20}

// withDefaults fills the zero TabsPerBrowser and SessionsPerBrowser from the defaults; Warm 0
// is a choice of its own.
func (s PoolSettings) withDefaults() PoolSettings {
	if s.TabsPerBrowser == 0 {
		s.TabsPerBrowser = DefaultPoolSettings.TabsPerBrowser
	}
	if s.SessionsPerBrowser == 0 {
		s.SessionsPerBrowser = DefaultPoolSettings.SessionsPerBrowser
	}
	return s
}

// Validate names a setting that makes no sense.
func (s PoolSettings) Validate() error {
	switch {
	case s.Warm < 0 || s.Warm > 16:
		return fmt.Errorf("warm browsers %d: use 0 to 16", s.Warm)
	case s.TabsPerBrowser < 1 || s.TabsPerBrowser > 32:
		return fmt.Errorf("tabs per browser %d: use 1 to 32", s.TabsPerBrowser)
	case s.SessionsPerBrowser < 1:
		return fmt.Errorf("sessions per browser %d: use 1 or more", s.SessionsPerBrowser)
	}
	return nil
}

// chromium is what the pool needs of a running browser: *Browser, or a fake in tests.
type chromium interface {
	Dead() <-chan struct{}
	Close()
}

// launchFunc starts a browser, shared or one session's own, with the caller's switches (nil:
// the pool's defaults).
type launchFunc func(ctx context.Context, own bool, switches map[string]any) (chromium, error)

// member is a browser of the pool, running or being launched.
type member struct {
	b    chromium      // nil until launched
	up   chan struct{} // closed when the launch ended, with b or err set
	err  error
	gone bool // removed from the pool: crashed, failed to launch, or closed

	own      bool // launched for one session (its own switches, or it asked for isolation)
	tabs     int  // sessions placed on it, those still waiting for its launch included
	served   int  // sessions placed on it in its life
	retiring bool // takes no more sessions; closed once its tabs are gone
}

// poolCore decides which browser each session gets, when browsers are launched and when they
// are closed. It knows nothing of Chromium itself.
type poolCore struct {
	set    PoolSettings
	launch launchFunc
	log    zerolog.Logger

	ctx    context.Context // ends background launches on close
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	members []*member
	closed  bool
}

func newPoolCore(set PoolSettings, launch launchFunc, log zerolog.Logger) *poolCore {
	ctx, cancel := context.WithCancel(context.Background())
	c := &poolCore{set: set, launch: launch, log: log, ctx: ctx, cancel: cancel}
	c.mu.Lock()
	c.refillLocked()
	c.mu.Unlock()
	return c
}

// errPoolClosed is the error of a start after the pool was closed.
var errPoolClosed = errors.New("the browser pool is closed")

// acquire places a session on a browser: one of its own when own is set (launched with
// switches, within ctx), else a shared one with room, launched now if there is none. It waits
// for the launch within ctx. The caller gives the place back with release.
func (c *poolCore) acquire(ctx context.Context, own bool, switches map[string]any) (*member, error) {
	if own {
		return c.acquireOwn(ctx, switches)
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, errPoolClosed
	}
	m := c.pickLocked()
	if m == nil {
		m = c.startLocked()
	}
	m.tabs++
	m.served++
	if m.served >= c.set.SessionsPerBrowser {
		m.retiring = true
	}
	c.refillLocked()
	c.mu.Unlock()

	select {
	case <-m.up:
	case <-ctx.Done():
		c.release(m, false)
		return nil, context.Cause(ctx)
	}
	if m.err != nil {
		c.release(m, false)
		return nil, m.err
	}
	return m, nil
}

// acquireOwn launches a browser for one session. It is launched in the caller's time, so
// that a start that gives up leaves no browser behind.
func (c *poolCore) acquireOwn(ctx context.Context, switches map[string]any) (*member, error) {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return nil, errPoolClosed
	}
	b, err := c.launch(ctx, true, switches)
	if err != nil {
		return nil, err
	}
	up := make(chan struct{})
	close(up)
	m := &member{b: b, up: up, own: true, retiring: true, tabs: 1, served: 1}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		b.Close()
		return nil, errPoolClosed
	}
	c.members = append(c.members, m)
	c.mu.Unlock()
	return m, nil
}

// pickLocked is the shared browser with room that has the most tabs already: sessions are
// packed, so that idle browsers stay idle (and can be closed). A running browser is preferred
// to one still launching.
func (c *poolCore) pickLocked() *member {
	var best *member
	for _, m := range c.members {
		if !c.hasRoom(m) {
			continue
		}
		switch {
		case best == nil:
			best = m
		case (m.b != nil) != (best.b != nil):
			if m.b != nil {
				best = m
			}
		case m.tabs > best.tabs:
			best = m
		}
	}
	return best
}

// hasRoom says whether m can take another session.
func (c *poolCore) hasRoom(m *member) bool {
	return !m.gone && !m.own && !m.retiring && m.tabs < c.set.TabsPerBrowser
}

// takesMore says whether m can take another session.
func (c *poolCore) takesMore(m *member) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hasRoom(m)
}

// refillLocked launches browsers until Warm of them have room.
func (c *poolCore) refillLocked() {
	if c.closed {
		return
	}
	ready := 0
	for _, m := range c.members {
		if c.hasRoom(m) {
			ready++
		}
	}
	for ; ready < c.set.Warm; ready++ {
		c.startLocked()
	}
}

// startLocked adds a shared member and launches its browser in the background.
func (c *poolCore) startLocked() *member {
	m := &member{up: make(chan struct{})}
	c.members = append(c.members, m)
	c.wg.Add(1)
	go c.run(m)
	return m
}

// run launches m's browser, then watches it: a browser that dies leaves the pool at once (its
// tabs learn it from the browser) and is replaced.
func (c *poolCore) run(m *member) {
	defer c.wg.Done()
	b, err := c.launch(c.ctx, false, nil)
	c.mu.Lock()
	if err != nil {
		// No new launch follows a failed one here: the next start tries again.
		m.err = err
		c.removeLocked(m)
		close(m.up)
		c.mu.Unlock()
		c.log.Warn().Err(err).Msg("launching a browser failed")
		return
	}
	m.b = b
	close(m.up)
	closeNow := c.closed || c.idleSurplusLocked(m)
	if closeNow {
		c.removeLocked(m)
	}
	c.mu.Unlock()
	if closeNow {
		b.Close()
		return
	}
	select {
	case <-b.Dead():
	case <-c.ctx.Done():
		return // Close closes it
	}
	c.mu.Lock()
	crashed := !m.gone
	if crashed {
		c.removeLocked(m)
		c.refillLocked()
	}
	c.mu.Unlock()
	if crashed {
		c.log.Warn().Int("tabs", m.tabs).Msg("a browser of the pool exited; its sessions end and a fresh one replaces it")
		b.Close() // reaps what is left of its processes
	}
}

// idleSurplusLocked says whether m has no tabs and is not needed to keep Warm browsers ready:
// the others with room are enough, or m takes no more sessions.
func (c *poolCore) idleSurplusLocked(m *member) bool {
	if m.tabs > 0 || m.b == nil {
		return false
	}
	if m.retiring || m.own {
		return true
	}
	others := 0
	for _, o := range c.members {
		if o != m && c.hasRoom(o) {
			others++
		}
	}
	return others >= c.set.Warm
}

func (c *poolCore) removeLocked(m *member) {
	m.gone = true
	for i, o := range c.members {
		if o == m {
			c.members = append(c.members[:i], c.members[i+1:]...)
			return
		}
	}
}

// release gives a session's place in m back. broken says the session could not be cleaned up
// in the browser, which then takes no more sessions. A browser left idle and not needed is
// closed before release returns.
func (c *poolCore) release(m *member, broken bool) {
	c.mu.Lock()
	m.tabs--
	if broken {
		m.retiring = true
	}
	var toClose chromium
	if !m.gone && c.idleSurplusLocked(m) {
		c.removeLocked(m)
		toClose = m.b
	}
	c.refillLocked()
	c.mu.Unlock()
	if toClose != nil {
		toClose.Close()
	}
}

// close closes every browser, waiting for launches under way, and refuses new sessions.
func (c *poolCore) close() {
	c.mu.Lock()
	c.closed = true
	members := c.members
	c.members = nil
	for _, m := range members {
		m.gone = true
	}
	c.mu.Unlock()
	c.cancel()
	for _, m := range members {
		<-m.up
		if m.b != nil {
			m.b.Close()
		}
	}
	c.wg.Wait()
}

// poolCounts is the pool's state, for tests and logs.
type poolCounts struct {
	Browsers  int // running or launching
	Launching int
	Tabs      int
	Ready     int // browsers with room for another session
}

func (c *poolCore) counts() poolCounts {
	c.mu.Lock()
	defer c.mu.Unlock()
	var n poolCounts
	for _, m := range c.members {
		n.Browsers++
		if m.b == nil {
			n.Launching++
		}
		n.Tabs += m.tabs
		if c.hasRoom(m) {
			n.Ready++
		}
	}
	return n
}
