package webhook

import (
	"context"
	"time"
)

// bookkeepingTimeout bounds the database writes after an attempt. They run even when Run's
// context has just ended, so that an event the receiver took is not sent again after a
// restart.
const bookkeepingTimeout = 5 * time.Second

// Run delivers events until ctx ends, starting with those a previous process left behind and
// waking whenever one is enqueued. Events go one at a time, oldest first among those due:
// an event that is backing off does not hold the later ones back, so the order is best
// effort, and receivers must not rely on it. Run once per outbox table. With webhooks
// disabled, Run only waits for ctx to end.
func (o *Outbox) Run(ctx context.Context) {
	if o.disabled() {
		<-ctx.Done()
		return
	}
	if !o.running.CompareAndSwap(false, true) {
		o.log.Error().Msg("webhook: Run is already running for this outbox")
		return
	}
	defer o.running.Store(false)
	if o.ownClient {
		defer o.client.CloseIdleConnections()
	}

	dbFailures := 0
	for ctx.Err() == nil {
		wait, err := o.step(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			dbFailures++
			wait = o.backoff(dbFailures)
			o.log.Error().Err(err).Dur("retryIn", wait).Msg("webhook: outbox database")
		} else {
			dbFailures = 0
		}
		if wait != 0 && !o.sleep(ctx, wait) {
			return
		}
	}
}

// idle is step's answer when no event is stored: sleep until one is enqueued.
const idle time.Duration = -1

// step attempts the oldest due event, if there is one, and says how long Run may then sleep.
func (o *Outbox) step(ctx context.Context) (time.Duration, error) {
	now := o.cfg.Now()
	e, ok, err := o.store.due(ctx, now)
	if err != nil {
		return 0, err
	}
	if ok {
		return 0, o.attempt(ctx, e, now)
	}
	next, ok, err := o.store.nextAt(ctx)
	if err != nil || !ok {
		return idle, err
	}
	return max(next.Sub(now), 0), nil
}

// sleep waits for d (forever when idle), an Enqueue, or the end of ctx; false for the latter.
func (o *Outbox) sleep(ctx context.Context, d time.Duration) bool {
	var timeout <-chan time.Time
	if d != idle {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-ctx.Done():
		return false
	case <-o.wake:
	case <-timeout:
	}
	return true
}

// attempt delivers e, or gives it up, or schedules its next attempt.
func (o *Outbox) attempt(ctx context.Context, e event, now time.Time) error {
	log := o.log.With().Str("id", e.id).Str("event", e.eventType).Int("attempt", e.attempts+1).Logger()
	// An event is tried while it is younger than MaxAge. It is given up when found older (left
	// by a process that was down that long), or when its next attempt would come later.
	deadline := e.createdAt.Add(o.cfg.MaxAge)
	if now.After(deadline) {
		log.Error().Str("lastError", e.lastError).Dur("age", now.Sub(e.createdAt)).
			Msg("webhook: event given up: older than the maximum age")
		return o.remove(ctx, e.id)
	}

	r := o.post(ctx, e)
	if r.outcome == failed && ctx.Err() != nil {
		return nil // shutting down: not the receiver's failure, and the event stays for the next Run
	}
	switch r.outcome {
	case delivered:
		log.Debug().Int("status", r.status).Msg("webhook: delivered")
		if err := o.remove(ctx, e.id); err != nil {
			return err
		}
		// The receiver is back: what failed only for its absence need not wait any longer.
		bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), bookkeepingTimeout)
		defer cancel()
		return o.store.hurry(bctx, o.cfg.Now())
	case rejected:
		log.Error().Int("status", r.status).Str("response", r.detail).
			Msg("webhook: event rejected by the receiver; not retried")
		return o.remove(ctx, e.id)
	}

	attempts := e.attempts + 1
	wait := max(o.backoff(attempts), r.retryAfter)
	now = o.cfg.Now()
	if now.Add(wait).After(deadline) {
		log.Error().Int("status", r.status).Str("error", r.detail).Dur("age", now.Sub(e.createdAt)).
			Msg("webhook: event given up: its next attempt would pass the maximum age")
		return o.remove(ctx, e.id)
	}
	log.Warn().Int("status", r.status).Str("error", r.detail).Dur("retryIn", wait).
		Msg("webhook: delivery failed; will retry")
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), bookkeepingTimeout)
	defer cancel()
	return o.store.retryAt(bctx, e.id, attempts, now.Add(wait), r.unavailable, r.detail)
}

// remove takes a finished event out of the outbox.
func (o *Outbox) remove(ctx context.Context, id string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), bookkeepingTimeout)
	defer cancel()
	if err := o.store.remove(ctx, id); err != nil {
		return err
	}
	o.signalRemoved()
	return nil
}
