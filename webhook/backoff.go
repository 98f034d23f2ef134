package webhook

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// backoff is the wait after the n-th consecutive failure: MinBackoff doubled n-1 times, at
// most MaxBackoff, less a random part of up to a quarter. The jitter keeps retries from
// marching in step with a receiver's restarts, and is small enough that each wait is still
// longer than the one before until MaxBackoff is reached.
func (o *Outbox) backoff(n int) time.Duration {
	d := o.cfg.MinBackoff
	for i := 1; i < n && d < o.cfg.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, o.cfg.MaxBackoff)
	return d - rand.N(d/4+1)
}

// maxRetryAfter bounds what a receiver may ask for, so the arithmetic cannot overflow; an
// event is given up at MaxAge anyway.
const maxRetryAfter = 365 * 24 * time.Hour

// retryAfter reads a Retry-After header, in seconds or as an HTTP date; 0 when absent.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	var d time.Duration
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		d = time.Duration(min(max(s, 0), int64(maxRetryAfter/time.Second))) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter)
}
