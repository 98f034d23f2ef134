package worker

import (
	"context"
	"errors"
	"testing"
	"time"
)

// instantClock stands for time.After in the restart loop: every pause is over at once, and
// the pauses asked for are kept.
type instantClock struct{ pauses []time.Duration }

func (c *instantClock) after(d time.Duration) <-chan time.Time {
	c.pauses = append(c.pauses, d)
	ch := make(chan time.Time, 1)
	ch <- time.Time{}
	return ch
}

func TestRestartPolicyAllowsMaxRestartsWithGrowingPauses(t *testing.T) {
	p := newRestartPolicy(3)
	var pauses []time.Duration
	for p.allows() {
		d, ok := p.next()
		if !ok {
			t.Fatal("allows said yes, next said no")
		}
		pauses = append(pauses, d)
	}
	if len(pauses) != 3 {
		t.Fatalf("%d restarts, want 3: %v", len(pauses), pauses)
	}
	if _, ok := p.next(); ok {
		t.Error("a fourth restart was allowed")
	}
	// At once, then ±20% around 250 ms, 500 ms: each pause longer than the one before.
	for i, want := range []time.Duration{0, 250 * time.Millisecond, 500 * time.Millisecond} {
		if lo, hi := want*8/10, want*12/10+time.Nanosecond; pauses[i] < lo || pauses[i] > hi {
			t.Errorf("pause %d is %s, want %s ± 20%%", i+1, pauses[i], want)
		}
	}
	for _, n := range []int{0, -1} {
		if newRestartPolicy(n).allows() {
			t.Errorf("max %d allows a restart", n)
		}
	}
}

func TestRestartPolicyPausesShortAgainAfterARestartWorked(t *testing.T) {
	p := newRestartPolicy(10)
	for range 4 {
		p.next()
	}
	p.worked()
	if d, _ := p.next(); d != 0 {
		t.Errorf("after a restart worked the next crash waits %s, want none", d)
	}
	if d, _ := p.next(); d > restartFirstPause*12/10+time.Nanosecond {
		t.Errorf("the pause after the first failed try is %s, want about %s", d, restartFirstPause)
	}
	for range 5 {
		if d, _ := p.next(); d > restartMaxPause*12/10+time.Nanosecond {
			t.Errorf("pause %s beyond the longest, %s", d, restartMaxPause)
		}
	}
}

func TestRetryUntilStopsAtTheFirstSuccess(t *testing.T) {
	clock := &instantClock{}
	fails := 2
	tries, err := retryUntil(context.Background(), newRestartPolicy(3), clock.after, func(context.Context) error {
		if fails > 0 {
			fails--
			return errors.New("no video from the page")
		}
		return nil
	})
	if err != nil || tries != 3 {
		t.Fatalf("tries %d, err %v; want 3 tries, the last one working", tries, err)
	}
	if len(clock.pauses) != 3 || clock.pauses[0] != 0 || clock.pauses[1] >= clock.pauses[2] {
		t.Errorf("pauses %v: want the first try at once, then growing pauses", clock.pauses)
	}
}

func TestRetryUntilGivesUpWithTheLastError(t *testing.T) {
	clock := &instantClock{}
	n := 0
	tries, err := retryUntil(context.Background(), newRestartPolicy(3), clock.after, func(context.Context) error {
		n++
		return errors.New("cannot open the page")
	})
	if tries != 3 || n != 3 || !errors.Is(err, errGaveUp) || lastCause(err).Error() != "cannot open the page" {
		t.Fatalf("tries %d (called %d), err %v; want 3 tries, given up, the page named", tries, n, err)
	}
	tries, err = retryUntil(context.Background(), newRestartPolicy(-1), clock.after, func(context.Context) error {
		t.Error("tried without a restart allowed")
		return nil
	})
	if tries != 0 || !errors.Is(err, errGaveUp) {
		t.Errorf("no restart allowed: tries %d, err %v", tries, err)
	}
}

func TestRetryUntilStopsWhenAskedDuringAPause(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	never := func(time.Duration) <-chan time.Time {
		cancel() // the stop comes while the session waits to start again
		return nil
	}
	tries, err := retryUntil(ctx, newRestartPolicy(3), never, func(context.Context) error {
		t.Error("tried after the stop")
		return nil
	})
	if tries != 0 || !errors.Is(err, context.Canceled) {
		t.Errorf("tries %d, err %v; want none, cancelled", tries, err)
	}
}

func TestRetryUntilStopsWhenAskedDuringATry(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	clock := &instantClock{}
	tries, err := retryUntil(ctx, newRestartPolicy(3), clock.after, func(ctx context.Context) error {
		cancel()
		return ctx.Err()
	})
	if tries != 1 || !errors.Is(err, context.Canceled) {
		t.Errorf("tries %d, err %v; want one, then cancelled", tries, err)
	}
}
