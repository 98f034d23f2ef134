package webhook

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/rs/zerolog"
)

// Config configures an Outbox.
type Config struct {
	// URL is the receiver. Empty disables webhooks: Enqueue stores nothing and returns nil.
	URL string
	// Secret signs every request (HMAC-SHA256); at least 16 bytes, required with a URL.
	Secret []byte
	// DB is the service's SQLite database; the outbox keeps its events in the table
	// "webhook_outbox", created if missing. Required with a URL.
	DB *sql.DB
	// MinBackoff and MaxBackoff bound the wait between attempts at one event: it doubles
	// from MinBackoff with each failure, up to MaxBackoff. Default 1 s and 5 min.
	MinBackoff, MaxBackoff time.Duration
	// MaxAge is how long an event is retried before it is given up, logged as an error.
	// Default 72 h.
	MaxAge time.Duration
	// MaxEvents bounds the outbox: storing one more event than this drops the oldest waiting
	// one, logged as an error with its id and type and counted by Dropped. Only a receiver
	// that has failed for long fills it, and the oldest event is the nearest to being given up
	// at MaxAge anyway, while the newest announce what just happened. Default 10000;
	// negative: unbounded.
	MaxEvents int
	// Timeout bounds one request, response included. Default 10 s.
	Timeout time.Duration
	// Client sends the requests. Default: a client of the outbox's own that does not follow
	// redirects, since a redirected POST may be replayed as a GET without its body.
	Client *http.Client
	// Dial, when set, connects the default client to the receiver (the node's destination
	// policy).
	Dial func(ctx context.Context, network, address string) (net.Conn, error)
	// Now is the clock; default time.Now.
	Now func() time.Time
	Log zerolog.Logger
}

// MinSecretLen is the shortest secret that signs webhooks, in bytes.
const MinSecretLen = 16

// Defaults of a Config's zero fields.
const (
	DefaultMinBackoff = time.Second
	DefaultMaxBackoff = 5 * time.Minute
	DefaultMaxAge     = 72 * time.Hour
	DefaultMaxEvents  = 10000
	DefaultTimeout    = 10 * time.Second
)

// check validates c and fills in its defaults. Only the URL and the log matter when
// webhooks are disabled.
func (c *Config) check() error {
	if c.URL == "" {
		return nil
	}
	u, err := url.Parse(c.URL)
	if err != nil {
		// Not the url.Error itself: it quotes the URL, password included.
		if ue := (*url.Error)(nil); errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("webhook: URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("webhook: URL %q is not an absolute http(s) URL", u.Redacted())
	}
	if len(c.Secret) < MinSecretLen {
		return fmt.Errorf("webhook: the secret must be at least %d bytes", MinSecretLen)
	}
	if c.DB == nil {
		return errors.New("webhook: no database for the outbox")
	}
	if c.MinBackoff < 0 || c.MaxBackoff < 0 || c.MaxAge < 0 || c.Timeout < 0 {
		return errors.New("webhook: negative duration")
	}
	if c.MinBackoff == 0 {
		c.MinBackoff = DefaultMinBackoff
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = max(DefaultMaxBackoff, c.MinBackoff)
	}
	if c.MinBackoff > c.MaxBackoff {
		return fmt.Errorf("webhook: MinBackoff %v exceeds MaxBackoff %v", c.MinBackoff, c.MaxBackoff)
	}
	if c.MaxAge == 0 {
		c.MaxAge = DefaultMaxAge
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxEvents == 0 {
		c.MaxEvents = DefaultMaxEvents
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}
