package cluster

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// forgetAfter is how long a finished session's last event stays in memory; the bucket keeps
// it longer, for an event delivered again much later.
const forgetAfter = 10 * time.Minute

// applied remembers the last event applied of each session, in memory and in a JetStream
// key-value bucket, so that an event delivered again (its ack lost, or the controller
// restarted between applying and acking it) is dropped.
type applied struct {
	kv  jetstream.KeyValue
	now func() time.Time

	mu      sync.Mutex
	last    map[string]uint64
	ended   map[string]time.Time // finished sessions, by when
	changed chan struct{}        // closed and replaced at every change
}

func newApplied(kv jetstream.KeyValue, now func() time.Time) *applied {
	return &applied{kv: kv, now: now, last: map[string]uint64{}, ended: map[string]time.Time{}, changed: make(chan struct{})}
}

// seq is the last applied event of a session, 0 if none.
func (a *applied) seq(ctx context.Context, session string) (uint64, error) {
	a.mu.Lock()
	n, ok := a.last[session]
	a.mu.Unlock()
	if ok || a.kv == nil {
		return n, nil
	}
	e, err := a.kv.Get(ctx, session)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return strconv.ParseUint(string(e.Value()), 10, 64)
}

// note records m as applied, in the bucket first: a restart after it finds the event applied.
func (a *applied) note(ctx context.Context, m Mark, final bool) error {
	var err error
	if a.kv != nil {
		_, err = a.kv.Put(ctx, m.Session, []byte(strconv.FormatUint(m.Seq, 10)))
	}
	now := a.now()
	a.mu.Lock()
	a.last[m.Session] = m.Seq
	if final {
		a.ended[m.Session] = now
	}
	for s, at := range a.ended {
		if now.Sub(at) > forgetAfter {
			delete(a.ended, s)
			delete(a.last, s)
		}
	}
	close(a.changed)
	a.changed = make(chan struct{})
	a.mu.Unlock()
	return err
}

// wait returns once m is applied, or ctx ends.
func (a *applied) wait(ctx context.Context, m Mark) error {
	for {
		a.mu.Lock()
		n, ch := a.last[m.Session], a.changed
		a.mu.Unlock()
		if n >= m.Seq {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
	}
}
