// Package webhook announces events to a backend over HTTP. An event is first stored in an
// outbox table of the service's SQLite database; Run then delivers stored events, retrying
// with backoff until the receiver takes them, rejects them, or they grow older than MaxAge.
// Neither a restart nor a receiver outage loses an event, unless the outage lasts until the
// outbox holds MaxEvents: then the oldest events are dropped, loudly.
//
// Delivery is at least once: a crash between the receiver's answer and the row's removal sends
// the event again, with the same X-Mediapush-Delivery id, which receivers de-duplicate on.
package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/google/uuid"
	"github.com/rs/zerolog"
)

// Outbox stores events and delivers them.
type Outbox struct {
	cfg       Config
	store     store
	client    *http.Client
	ownClient bool // the client is ours: its idle connections are closed when Run ends
	log       zerolog.Logger

	wake    chan struct{} // Enqueue's nudge to a sleeping Run; one pending nudge is enough
	running atomic.Bool
	dropped atomic.Uint64 // events dropped because the outbox was full

	mu      sync.Mutex
	removed chan struct{} // closed, and replaced, whenever events leave the outbox; Flush waits on it
}

// New validates cfg and creates the outbox table if needed.
func New(cfg Config) (*Outbox, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	o := &Outbox{
		cfg:     cfg,
		store:   store{db: cfg.DB},
		client:  cfg.Client,
		log:     cfg.Log,
		wake:    make(chan struct{}, 1),
		removed: make(chan struct{}),
	}
	if o.disabled() {
		return o, nil
	}
	if o.client == nil {
		o.ownClient = true
		transport := http.DefaultTransport.(*http.Transport).Clone()
		if cfg.Dial != nil {
			// The dialer decides where connections go; an environment proxy would decide instead.
			transport.DialContext, transport.Proxy = cfg.Dial, nil
		}
		o.client = &http.Client{
			Transport: transport,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		}
	}
	if err := o.store.create(context.Background()); err != nil {
		return nil, fmt.Errorf("webhook: creating the outbox table: %w", err)
	}
	return o, nil
}

func (o *Outbox) disabled() bool { return o.cfg.URL == "" }

// Enqueue stores an event for delivery and returns its id, a UUID. The request body will be
// payload marshalled with encoding/json; a json.RawMessage is sent as it is, compacted. The
// event is in the database when Enqueue returns. With webhooks disabled it stores nothing
// and returns an empty id.
func (o *Outbox) Enqueue(ctx context.Context, eventType string, payload any) (id string, err error) {
	if o.disabled() {
		return "", nil
	}
	if err := checkEventType(eventType); err != nil {
		return "", err
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return "", fmt.Errorf("webhook: %s payload: %w", eventType, err)
	}
	e := event{id: uuid.NewString(), eventType: eventType, body: body, createdAt: o.cfg.Now()}
	if err := o.store.insert(ctx, e); err != nil {
		return "", fmt.Errorf("webhook: storing %s: %w", eventType, err)
	}
	o.dropOverflow(ctx)
	select {
	case o.wake <- struct{}{}:
	default:
	}
	return e.id, nil
}

// dropOverflow keeps the outbox within MaxEvents by dropping its oldest events, loudly.
func (o *Outbox) dropOverflow(ctx context.Context) {
	gone, err := o.store.trim(ctx, o.cfg.MaxEvents)
	if err != nil {
		o.log.Error().Err(err).Msg("webhook: keeping the outbox within its size")
	}
	for _, e := range gone {
		total := o.dropped.Add(1)
		o.log.Error().Str("id", e.id).Str("event", e.eventType).Time("created", e.createdAt).
			Int("attempts", e.attempts).Str("lastError", e.lastError).Int("maxEvents", o.cfg.MaxEvents).
			Uint64("droppedTotal", total).Msg("webhook: outbox full: the oldest event was dropped undelivered")
	}
	if len(gone) > 0 {
		o.signalRemoved()
	}
}

// Dropped is how many events were dropped undelivered because the outbox was full.
func (o *Outbox) Dropped() uint64 { return o.dropped.Load() }

// checkEventType accepts names like Recordings.Available: the type goes into a header, so
// it is kept to letters, digits, '.', '_' and '-'.
func checkEventType(t string) error {
	if t == "" || len(t) > 100 {
		return errors.New("webhook: event type must be 1 to 100 characters")
	}
	for _, c := range t {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("webhook: event type %q: only letters, digits, '.', '_' and '-'", t)
		}
	}
	return nil
}

// Pending returns how many events await delivery.
func (o *Outbox) Pending(ctx context.Context) (int, error) {
	if o.disabled() {
		return 0, nil
	}
	return o.store.count(ctx)
}

// Flush waits until no event is pending, or ctx ends. It delivers nothing itself: Run must
// be running, and Flush does not shorten a backoff, so bound it with ctx at shutdown.
func (o *Outbox) Flush(ctx context.Context) error {
	for {
		o.mu.Lock()
		removed := o.removed
		o.mu.Unlock()
		n, err := o.Pending(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("webhook: %d events still pending: %w", n, ctx.Err())
		case <-removed:
		}
	}
}

// signalRemoved wakes the Flush calls waiting for events to leave.
func (o *Outbox) signalRemoved() {
	o.mu.Lock()
	close(o.removed)
	o.removed = make(chan struct{})
	o.mu.Unlock()
}
