package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"mediapush/worker"
)

// publisher sends a node's events to the events' stream in the order they happened, each
// until JetStream has acknowledged it: an event is never lost to a NATS restart, and one sent
// twice (its ack lost) is stored once, by its message id.
type publisher struct {
	js   jetstream.JetStream
	node string
	log  zerolog.Logger

	mu       sync.Mutex
	wake     *sync.Cond
	queue    []EventMessage
	inFlight bool
	stopped  bool
	// current is each stream's running session and its last sequence number; it stays after
	// the final event, so that the reply to a stop can say which event to wait for.
	current map[string]Mark

	ctx    context.Context // cancelled by abandon: give up on what was not sent
	cancel context.CancelFunc
	done   chan struct{}
}

func newPublisher(js jetstream.JetStream, node string, log zerolog.Logger) *publisher {
	ctx, cancel := context.WithCancel(context.Background())
	p := &publisher{js: js, node: node, log: log, current: map[string]Mark{}, ctx: ctx, cancel: cancel, done: make(chan struct{})}
	p.wake = newCond(p)
	go p.run()
	return p
}

// add queues ev and returns its place in its session. A STARTING event (or the first event of
// a stream this node has not seen) opens a new session.
func (p *publisher) add(ev worker.Event) Mark {
	p.mu.Lock()
	defer p.mu.Unlock()
	m, ok := p.current[ev.StreamID]
	if !ok || ev.State == worker.Starting {
		m = Mark{Session: newSessionID()}
	}
	m.Seq++
	p.current[ev.StreamID] = m
	p.queue = append(p.queue, EventMessage{Node: p.node, Session: m.Session, Seq: m.Seq, Event: withoutSecrets(ev)})
	p.wake.Broadcast()
	return m
}

// last is the last event queued about a stream, if any.
func (p *publisher) last(streamID string) *Mark {
	p.mu.Lock()
	defer p.mu.Unlock()
	m, ok := p.current[streamID]
	if !ok {
		return nil
	}
	return &m
}

func (p *publisher) run() {
	defer close(p.done)
	for {
		p.mu.Lock()
		for len(p.queue) == 0 && !p.stopped {
			p.wake.Wait()
		}
		if len(p.queue) == 0 {
			p.mu.Unlock()
			return
		}
		msg := p.queue[0]
		p.inFlight = true
		p.mu.Unlock()
		err := p.send(msg)
		p.mu.Lock()
		p.inFlight = false
		if err == nil {
			p.queue = p.queue[1:]
		} else {
			p.log.Error().Err(err).Str("streamId", msg.Event.StreamID).Int("unsent", len(p.queue)).Msg("events not published: given up")
			p.queue = nil
		}
		p.wake.Broadcast()
		p.mu.Unlock()
	}
}

// send publishes one event until it is acknowledged or the publisher is abandoned.
func (p *publisher) send(m EventMessage) error {
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	id := msgID(p.node, m)
	b := backoff.NewExponentialBackOff()
	b.InitialInterval, b.MaxInterval = 100*time.Millisecond, 2*time.Second
	_, err = backoff.Retry(p.ctx, func() (*jetstream.PubAck, error) {
		ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
		defer cancel()
		msg := &nats.Msg{Subject: eventSubject(p.node), Data: data}
		return p.js.PublishMsg(ctx, msg, jetstream.WithMsgID(id))
	}, backoff.WithBackOff(b), backoff.WithMaxElapsedTime(0), backoff.WithNotify(func(err error, next time.Duration) {
		p.log.Warn().Err(err).Str("streamId", m.Event.StreamID).Dur("retryIn", next).Msg("publishing an event failed; retrying")
	}))
	return err
}

// flush waits until every queued event is acknowledged, or ctx ends.
func (p *publisher) flush(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() {
		p.mu.Lock()
		p.wake.Broadcast()
		p.mu.Unlock()
	})
	defer stop()
	p.mu.Lock()
	defer p.mu.Unlock()
	for (len(p.queue) > 0 || p.inFlight) && ctx.Err() == nil {
		p.wake.Wait()
	}
	return ctx.Err()
}

// close sends what is queued, for as long as ctx allows, then stops.
func (p *publisher) close(ctx context.Context) error {
	err := p.flush(ctx)
	p.mu.Lock()
	p.stopped = true
	p.wake.Broadcast()
	p.mu.Unlock()
	p.cancel()
	<-p.done
	return err
}

func newSessionID() string {
	b := make([]byte, 8)
	rand.Read(b) //nolint:errcheck // crypto/rand does not fail
	return hex.EncodeToString(b)
}

func newCond(p *publisher) *sync.Cond { return sync.NewCond(&p.mu) }
