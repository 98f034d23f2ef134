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

// restartPolicy bounds a session's restarts: at most max over its life. The first try after a
// crash comes at once, so that the gap stays short; each further one after a growing pause (a
// browser that fails again at once is given a moment). Once a restart has worked, the next
// crash is tried at once again.
type restartPolicy struct {
	left    int
	waiting bool // a try since the last crash failed: pause before the next
	wait    *backoff.ExponentialBackOff
}

// Pauses between the tries after one crash: 0.25, 0.5, 1, 2, 4 s.
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
	if !p.waiting {
		p.waiting = true
		return 0, true
	}
	return p.wait.NextBackOff(), true
}

// worked makes the next restart, after a later crash, come at once again.
func (p *restartPolicy) worked() {
	p.waiting = false
	p.wait.Reset()
}

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
