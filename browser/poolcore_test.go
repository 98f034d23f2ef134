package browser

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// fakeBrowser is a browser that dies or closes when the test says.
type fakeBrowser struct {
	switches  map[string]any
	dead      chan struct{}
	closed    chan struct{}
	deadOnce  sync.Once
	closeOnce sync.Once
}

func (b *fakeBrowser) Dead() <-chan struct{} { return b.dead }
func (b *fakeBrowser) Close() {
	b.closeOnce.Do(func() { close(b.closed) })
	b.crash()
}
func (b *fakeBrowser) crash() { b.deadOnce.Do(func() { close(b.dead) }) }

// launchCall is one launch the pool asked for; the test answers it.
type launchCall struct {
	switches map[string]any
	answer   chan error
	b        *fakeBrowser
}

// fakeLauncher hands every launch to the test through calls.
type fakeLauncher struct{ calls chan *launchCall }

func (l *fakeLauncher) launch(ctx context.Context, own bool, switches map[string]any) (chromium, error) {
	c := &launchCall{switches: switches, answer: make(chan error, 1),
		b: &fakeBrowser{switches: switches, dead: make(chan struct{}), closed: make(chan struct{})}}
	select {
	case l.calls <- c:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case err := <-c.answer:
		if err != nil {
			return nil, err
		}
		return c.b, nil
	case <-ctx.Done():
		// As a real launch, one given up leaves no browser, even when it had just started.
		select {
		case err := <-c.answer:
			if err == nil {
				c.b.Close()
			}
		default:
		}
		return nil, ctx.Err()
	}
}

// waitFor bounds a wait that should end at once, so that a bug fails instead of hanging.
const waitFor = 10 * time.Second

// next is the next launch the pool asks for, answered with success.
func (l *fakeLauncher) next(t *testing.T) *fakeBrowser {
	t.Helper()
	c := l.nextCall(t)
	c.answer <- nil
	return c.b
}

func (l *fakeLauncher) nextCall(t *testing.T) *launchCall {
	t.Helper()
	select {
	case c := <-l.calls:
		return c
	case <-time.After(waitFor):
		t.Fatal("the pool launched no browser")
		return nil
	}
}

// browsers checks how many browsers the pool runs or launches (launches are decided at once,
// though they run in the background).
func browsers(t *testing.T, c *poolCore, want int) {
	t.Helper()
	if n := c.counts(); n.Browsers != want {
		t.Errorf("the pool has %d browsers (%+v), want %d", n.Browsers, n, want)
	}
}

func newTestPool(t *testing.T, set PoolSettings) (*poolCore, *fakeLauncher) {
	l := &fakeLauncher{calls: make(chan *launchCall)}
	c := newPoolCore(set.withDefaults(), l.launch, zerolog.Nop())
	t.Cleanup(func() {
		go func() { // answer launches that close finds under way
			for call := range l.calls {
				call.answer <- errors.New("closing")
			}
		}()
		c.close()
		close(l.calls)
	})
	return c, l
}

func acquire(t *testing.T, c *poolCore) *member {
	t.Helper()
	m, err := c.acquire(context.Background(), false, nil)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// acquireAsync acquires while the test answers the launch it waits for.
func acquireAsync(c *poolCore) <-chan *member {
	out := make(chan *member, 1)
	go func() {
		m, _ := c.acquire(context.Background(), false, nil)
		out <- m
	}()
	return out
}

func closedSoon(t *testing.T, b *fakeBrowser, what string) {
	t.Helper()
	select {
	case <-b.closed:
	case <-time.After(waitFor):
		t.Fatalf("%s was not closed", what)
	}
}

func TestPoolKeepsOneBrowserWarmAndPacksTabs(t *testing.T) {
	c, l := newTestPool(t, PoolSettings{Warm: 1, TabsPerBrowser: 2, SessionsPerBrowser: 10})
	warm := l.next(t)
	a := acquire(t, c)
	if a.b != warm {
		t.Fatal("the first session did not get the warm browser")
	}
	browsers(t, c, 1) // the warm browser still has room
	b := acquire(t, c)
	if b.b != warm {
		t.Fatal("the second session did not share the warm browser")
	}
	// Now full: a fresh browser is launched ahead of the next start.
	next := l.next(t)
	if m := acquire(t, c); m.b != next {
		t.Fatal("the third session did not get the browser launched for it ahead")
	}
	if n := c.counts(); n.Browsers != 2 || n.Tabs != 3 {
		t.Errorf("counts %+v, want 2 browsers with 3 tabs", n)
	}
}

func TestPoolWithoutWarmBrowsersLaunchesOnDemandAndClosesWhenIdle(t *testing.T) {
	c, l := newTestPool(t, PoolSettings{Warm: 0, TabsPerBrowser: 3, SessionsPerBrowser: 10})
	browsers(t, c, 0)
	got := acquireAsync(c)
	b := l.next(t)
	m := <-got
	if m == nil || m.b != b {
		t.Fatal("the session did not get the browser launched for it")
	}
	c.release(m, false)
	closedSoon(t, b, "an idle browser of a pool with no warm browsers")
	if n := c.counts(); n.Browsers != 0 {
		t.Errorf("counts %+v, want no browser", n)
	}
}

func TestPoolRecyclesABrowserAfterItsSessions(t *testing.T) {
	c, l := newTestPool(t, PoolSettings{Warm: 1, TabsPerBrowser: 3, SessionsPerBrowser: 2})
	first := l.next(t)
	a, b := acquire(t, c), acquire(t, c)
	if a.b != first || b.b != first {
		t.Fatal("the first two sessions did not share the warm browser")
	}
	// Two sessions served: it takes no more, and a fresh one is ready for the next.
	second := l.next(t)
	if m := acquire(t, c); m.b != second {
		t.Fatal("a browser that served its sessions took another")
	}
	c.release(a, false)
	select {
	case <-first.closed:
		t.Fatal("the browser closed while a session still runs in it")
	default:
	}
	c.release(b, false)
	closedSoon(t, first, "a browser that served its sessions")
}

func TestPoolReplacesACrashedBrowser(t *testing.T) {
	c, l := newTestPool(t, PoolSettings{Warm: 1, TabsPerBrowser: 3, SessionsPerBrowser: 10})
	first := l.next(t)
	m := acquire(t, c)
	first.crash()
	replacement := l.next(t)                  // launched because the crash left no browser with room
	closedSoon(t, first, "a crashed browser") // its leftover processes are reaped
	c.release(m, false)                       // the crashed session's teardown
	if got := acquire(t, c); got.b != replacement {
		t.Fatal("a start after the crash did not get the replacement")
	}
	if n := c.counts(); n.Browsers != 1 {
		t.Errorf("counts %+v, want the replacement alone", n)
	}
}

func TestPoolGivesOwnBrowsersAndClosesThemAfterTheirSession(t *testing.T) {
	c, l := newTestPool(t, PoolSettings{Warm: 1, TabsPerBrowser: 3, SessionsPerBrowser: 10})
	warm := l.next(t)
	got := make(chan *member, 1)
	switches := map[string]any{"lang": "de"}
	go func() {
		m, _ := c.acquire(context.Background(), true, switches)
		got <- m
	}()
	call := l.nextCall(t)
	if call.switches["lang"] != "de" {
		t.Errorf("own browser launched with %v, want the session's switches", call.switches)
	}
	call.answer <- nil
	own := <-got
	if own == nil || own.b != call.b {
		t.Fatal("the session did not get its own browser")
	}
	if m := acquire(t, c); m.b != warm {
		t.Fatal("a shared session was placed in another session's own browser")
	}
	c.release(own, false)
	closedSoon(t, call.b, "an own browser after its session")
}

func TestPoolFailedLaunchFailsTheStartAndLeavesNothing(t *testing.T) {
	c, l := newTestPool(t, PoolSettings{Warm: 0, TabsPerBrowser: 3, SessionsPerBrowser: 10})
	done := make(chan error, 1)
	go func() {
		_, err := c.acquire(context.Background(), false, nil)
		done <- err
	}()
	l.nextCall(t).answer <- errors.New("no chromium here")
	if err := <-done; err == nil || err.Error() != "no chromium here" {
		t.Errorf("acquire = %v, want the launch's error", err)
	}
	if n := c.counts(); n.Browsers != 0 || n.Tabs != 0 {
		t.Errorf("counts %+v, want nothing", n)
	}
}

func TestPoolStartGivingUpWhileTheBrowserLaunches(t *testing.T) {
	c, l := newTestPool(t, PoolSettings{Warm: 0, TabsPerBrowser: 3, SessionsPerBrowser: 10})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.acquire(ctx, false, nil)
		done <- err
	}()
	call := l.nextCall(t)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("acquire = %v, want context.Canceled", err)
	}
	call.answer <- nil
	// With no warm browser wanted, the browser nobody waits for any more is closed.
	closedSoon(t, call.b, "a browser launched for a start that gave up")
}

func TestPoolCloseClosesEveryBrowser(t *testing.T) {
	c, l := newTestPool(t, PoolSettings{Warm: 2, TabsPerBrowser: 1, SessionsPerBrowser: 10})
	one, two := l.next(t), l.next(t)
	acquire(t, c)
	three := l.next(t)
	c.close()
	for i, b := range []*fakeBrowser{one, two, three} {
		closedSoon(t, b, "browser "+string(rune('1'+i)))
	}
	if _, err := c.acquire(context.Background(), false, nil); !errors.Is(err, errPoolClosed) {
		t.Errorf("acquire after close = %v, want errPoolClosed", err)
	}
}

func TestPoolSettingsAreChecked(t *testing.T) {
	for _, s := range []PoolSettings{{Warm: -1}, {TabsPerBrowser: -2}, {SessionsPerBrowser: -1}, {Warm: 99}} {
		if err := s.withDefaults().Validate(); err == nil {
			t.Errorf("%+v accepted", s)
		}
	}
	if err := DefaultPoolSettings.Validate(); err != nil {
		t.Errorf("the defaults: %v", err)
	}
}
