package cluster

import (
	"context"
	"encoding/json"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/nats-io/nats.go/jetstream"
)

// consume applies the events' stream in order through a durable consumer: one event is
// delivered at a time, applied, noted and only then acknowledged, so that none is lost or
// applied twice across a restart of NATS or of this process.
func (d *Dispatcher) consume(ctx context.Context, cons jetstream.Consumer) {
	defer close(d.consumeDone)
	b := backoff.NewExponentialBackOff()
	b.InitialInterval, b.MaxInterval = 100*time.Millisecond, 2*time.Second
	for ctx.Err() == nil {
		batch, err := cons.Fetch(1, jetstream.FetchMaxWait(time.Second))
		if err == nil {
			for msg := range batch.Messages() {
				d.handle(ctx, msg)
			}
			err = batch.Error()
		}
		if err != nil && ctx.Err() == nil {
			pause := b.NextBackOff()
			d.log.Debug().Err(err).Dur("retryIn", pause).Msg("reading events failed; retrying")
			select {
			case <-ctx.Done():
			case <-time.After(pause):
			}
			continue
		}
		b.Reset()
	}
}

// handle applies one delivered event unless it was applied before.
func (d *Dispatcher) handle(ctx context.Context, msg jetstream.Msg) {
	var m EventMessage
	if err := json.Unmarshal(msg.Data(), &m); err != nil || m.Session == "" || m.Seq == 0 {
		d.log.Error().Err(err).Str("subject", msg.Subject()).Msg("an event that cannot be read: dropped")
		msg.Term() //nolint:errcheck // redelivery would not help
		return
	}
	last, err := d.applied.seq(ctx, m.Session)
	if err != nil {
		d.log.Warn().Err(err).Msg("the applied events cannot be read; the event will be delivered again")
		msg.Nak() //nolint:errcheck // it is redelivered after AckWait anyway
		return
	}
	if m.Seq <= last {
		d.log.Debug().Str("node", m.Node).Str("streamId", m.Event.StreamID).Uint64("seq", m.Seq).Msg("event applied before: dropped")
		msg.Ack() //nolint:errcheck // a redelivery is dropped again
		return
	}
	if d.failover.stray(m.Event.StreamID, m.Node) {
		d.log.Info().Str("node", m.Node).Str("streamId", m.Event.StreamID).Str("state", string(m.Event.State)).
			Msg("an event of a session moved off its node: its recordings are kept")
		d.cfg.OnStray(m.Node, withoutSecrets(m.Event))
		d.note(ctx, msg, m)
		return
	}
	if m.Event.State.Final() {
		d.failover.ended(m.Event.StreamID, m.Node)
		d.streams.release(m.Event.StreamID, m.Node)
		d.nodes.sessionEnded(m.Node, m.Event.StreamID, m.Event.At)
	}
	msg.InProgress() //nolint:errcheck // applying a recording's event may take longer than AckWait
	d.cfg.OnEvent(m.Node, withoutSecrets(m.Event))
	d.note(ctx, msg, m)
}

// note records an event as applied, then acknowledges it.
func (d *Dispatcher) note(ctx context.Context, msg jetstream.Msg, m EventMessage) {
	if err := d.applied.note(ctx, m.Mark(), m.Event.State.Final()); err != nil {
		d.log.Warn().Err(err).Str("streamId", m.Event.StreamID).Msg("noting an applied event failed")
	}
	if err := msg.Ack(); err != nil {
		d.log.Debug().Err(err).Msg("ack lost; the event will be dropped when delivered again")
	}
}
