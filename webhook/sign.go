package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Headers of a delivery. The body is the event's payload alone, exactly as a receiver that
// expects Dolby's shapes wants it, so what describes the event travels here.
const (
	HeaderEvent     = "X-Mediapush-Event"     // the event type, such as Recordings.Available
	HeaderDelivery  = "X-Mediapush-Delivery"  // the event's id: the same on every retry, to de-duplicate on
	HeaderTimestamp = "X-Mediapush-Timestamp" // Unix seconds of this attempt
	HeaderSignature = "X-Mediapush-Signature" // v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>
)

// DefaultTolerance is the freshness Verify requires when given none.
const DefaultTolerance = 5 * time.Minute

// Errors of Verify.
var (
	// ErrBadSignature: the request was not signed with the secret, was altered, or lacks
	// its signature or timestamp.
	ErrBadSignature = errors.New("webhook: bad signature")
	// ErrStale: the signature is right but the timestamp is too far from now, as in a
	// replayed request (or clocks far apart).
	ErrStale = errors.New("webhook: stale timestamp")
)

// sign returns the signature header's value for a body sent at timestamp ts.
func sign(secret []byte, ts string, body []byte) string {
	return "v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret []byte, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks a delivery for a receiver: that its signature is the secret's over the
// timestamp and body, and that the timestamp is within tolerance of now (DefaultTolerance
// when tolerance <= 0). The signature is checked first, so ErrStale always means an
// authentic but old (or replayed) request. The signature header may carry several
// comma-separated v1= values, any of which may match: that lets a sender sign with an old
// and a new secret while they are rotated.
func Verify(secret []byte, header http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	if len(secret) == 0 {
		// Anyone can sign with an empty key: a receiver without its secret must refuse all.
		return fmt.Errorf("%w: no secret to check against", ErrBadSignature)
	}
	ts := header.Get(HeaderTimestamp)
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: missing or malformed %s", ErrBadSignature, HeaderTimestamp)
	}
	want := mac(secret, ts, body)
	matched := false
	for v := range strings.SplitSeq(header.Get(HeaderSignature), ",") {
		hexSig, ok := strings.CutPrefix(strings.TrimSpace(v), "v1=")
		if !ok {
			continue
		}
		if got, err := hex.DecodeString(hexSig); err == nil && hmac.Equal(got, want) {
			matched = true
		}
	}
	if !matched {
		return ErrBadSignature
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	if age := now.Sub(time.Unix(sec, 0)).Abs(); age > tolerance {
		return fmt.Errorf("%w: %v from now", ErrStale, age.Round(time.Second))
	}
	return nil
}
