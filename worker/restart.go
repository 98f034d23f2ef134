package worker

import (
	"context"
	"errors"
	"time"

	"github.com/cenkalti/backoff/v5"
)

// DefaultMaxRestarts is how many times a session is started again, in a fresh tab, after its
// browser crashed.
const DefaultMaxRestarts = 3

// restartPolicy bounds a session's restarts: at most max over its life, each try after a
// growing pause (a browser that crashes at once again is given a moment), the pause short
// again once a restart has worked.
type restartPolicy struct {
	left int
	wait *backoff.ExponentialBackOff
}

// Pauses before a restart: the first comes almost at once, so that the gap stays short; a
// browser that keeps failing is tried after 0.5, 1, 2 … s.
const (
	restartFirstPause = 250 * time.Millisecond
	restartMaxPause   = 4 * time.Second
)

func newRestartPolicy(maxRestarts int) *restartPolicy {
	b := &backoff.ExponentialBackOff{InitialInterval: restartFirstPause, RandomizationFactor: 0.2,
		Multiplier: 2, MaxInterval: restartMaxPause}
	b.Reset()
	return &restartPolicy{left: max(maxRestarts, 0), wait: b}
}

// allows tells whether a restart is left.
func (p *restartPolicy) allows() bool { return p.left > 0 }

// next takes one restart and says how long to wait before it; false when none is left.
func (p *restartPolicy) next() (time.Duration, bool) {
	if p.left <= 0 {
		return 0, false
	}
	p.left--
	return p.wait.NextBackOff(), true
}

// worked makes the pause before a later restart short again.
func (p *restartPolicy) worked() { p.wait.Reset() }

// errGaveUp is the end of the restarts a session was allowed.
var errGaveUp = errors.New("no restart left")

// retryUntil calls try, after each pause the policy gives (waited for with after), until it
// succeeds, the policy has no try left, or ctx ends. It returns how many tries were made and
// the last try's error (joined with errGaveUp when the policy gave up), or ctx's error.
func retryUntil(ctx context.Context, p *restartPolicy, after func(time.Duration) <-chan time.Time,
	try func(context.Context) error) (tries int, err error) {
	for {
		pause, ok := p.next()
		if !ok {
			return tries, errors.Join(errGaveUp, err)
		}
		select {
		case <-after(pause):
		case <-ctx.Done():
			return tries, ctx.Err()
		}
		tries++
		if err = try(ctx); err == nil {
			p.worked()
			return tries, nil
		}
		if ctx.Err() != nil {
			return tries, ctx.Err()
		}
	}
}
