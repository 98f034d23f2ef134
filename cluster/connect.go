package cluster

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"
)

// Connect joins NATS at rawURL with the shared token and keeps reconnecting for as long as
// the connection is wanted. The URL must not carry credentials: they would show in logs and
// in ps.
func Connect(rawURL, token, name string, log zerolog.Logger) (*nats.Conn, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("--nats %q: a URL like nats://127.0.0.1:4222", rawURL)
	}
	if u.User != nil {
		return nil, fmt.Errorf("--nats: the URL must not carry credentials; set %s instead", TokenEnv)
	}
	opts := []nats.Option{
		nats.Name(name), nats.MaxReconnects(-1), nats.ReconnectWait(250 * time.Millisecond),
		nats.RetryOnFailedConnect(false),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			log.Warn().Err(err).Msg("NATS connection lost; reconnecting")
		}),
		nats.ReconnectHandler(func(c *nats.Conn) { log.Info().Str("url", c.ConnectedUrlRedacted()).Msg("NATS reconnected") }),
	}
	if token != "" {
		opts = append(opts, nats.Token(token))
	}
	nc, err := nats.Connect(u.String(), opts...)
	if err != nil {
		return nil, fmt.Errorf("connecting to NATS at %s: %w", u.Redacted(), err)
	}
	return nc, nil
}

// ensureEvents creates or updates the events' stream. Whoever comes first (a node or the
// controller) creates it; its duplicate window drops an event published again after a lost ack.
func ensureEvents(ctx context.Context, js jetstream.JetStream) error {
	_, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: EventStream, Subjects: []string{EventSubjects}, Storage: jetstream.FileStorage,
		Duplicates: 2 * time.Minute, MaxAge: 7 * 24 * time.Hour,
	})
	if err != nil {
		return fmt.Errorf("JetStream stream %s: %w", EventStream, err)
	}
	return nil
}
