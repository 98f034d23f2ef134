package webhook

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// outcome is what an attempt at an event means for it.
type outcome int

const (
	delivered outcome = iota // 2xx: done
	rejected                 // 4xx but 408 and 429: the receiver will never take it
	failed                   // anything else: try again later
)

// result describes one attempt.
type result struct {
	outcome     outcome
	status      int           // 0 when no response came
	retryAfter  time.Duration // the receiver's Retry-After
	unavailable bool          // the receiver, not the event, is the trouble; see the schema
	detail      string        // for the log: the error, or the status and the start of the body
}

// excerptLen is how much of a response body is kept for the log.
const excerptLen = 256

// drainLen is how much of a response body is read so that its connection can be reused;
// beyond that, closing the connection is cheaper.
const drainLen = 64 << 10

// post makes one attempt at delivering e, signed for this moment.
func (o *Outbox) post(ctx context.Context, e event) result {
	ctx, cancel := context.WithTimeout(ctx, o.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.cfg.URL, bytes.NewReader(e.body))
	if err != nil {
		return result{outcome: failed, detail: err.Error()}
	}
	now := o.cfg.Now()
	ts := strconv.FormatInt(now.Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "mediapush-webhook")
	req.Header.Set(HeaderEvent, e.eventType)
	req.Header.Set(HeaderDelivery, e.id)
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, sign(o.cfg.Secret, ts, e.body))

	resp, err := o.client.Do(req)
	if err != nil {
		return result{outcome: failed, unavailable: true, detail: err.Error()}
	}
	defer resp.Body.Close()
	excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, excerptLen))
	io.Copy(io.Discard, io.LimitReader(resp.Body, drainLen))

	r := result{status: resp.StatusCode, detail: describe(resp, excerpt)}
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		r.outcome = delivered
	case code >= 400 && code < 500 && code != http.StatusRequestTimeout && code != http.StatusTooManyRequests:
		r.outcome = rejected
	default:
		// 5xx, 408 and 429 are the receiver's passing trouble. A 3xx, not followed, means the
		// configured URL is out of date: the event is kept until the configuration is fixed.
		r.outcome = failed
		r.retryAfter = retryAfter(resp.Header, now)
		r.unavailable = code == http.StatusBadGateway || code == http.StatusServiceUnavailable ||
			code == http.StatusGatewayTimeout
	}
	return r
}

// describe sums a response up for the log.
func describe(resp *http.Response, excerpt []byte) string {
	s := resp.Status
	if loc := resp.Header.Get("Location"); loc != "" {
		s += " to " + loc
	}
	if body := strings.TrimSpace(strings.ToValidUTF8(string(excerpt), "?")); body != "" {
		s += fmt.Sprintf(": %q", body)
	}
	return s
}
