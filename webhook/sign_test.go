package webhook

import (
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// signed returns the headers a delivery of body at t carries.
func signed(secret []byte, body []byte, t time.Time) http.Header {
	ts := strconv.FormatInt(t.Unix(), 10)
	h := http.Header{}
	h.Set(HeaderTimestamp, ts)
	h.Set(HeaderSignature, sign(secret, ts, body))
	return h
}

func TestVerify(t *testing.T) {
	body := []byte(`{"conferenceId":"room-1","mp4":{"url":"https://x/r.mp4"}}`)
	now := time.Unix(1_780_000_000, 0)
	const tolerance = 5 * time.Minute
	good := signed(testSecret, body, now.Add(-time.Minute))

	if err := Verify(testSecret, good, body, now, tolerance); err != nil {
		t.Fatalf("a good delivery: %v", err)
	}

	tampered := append([]byte(nil), body...)
	tampered[len(tampered)-3] = 'v' // r.mp4 -> r.mpv
	wrongSecret := []byte("another secret of sixteen bytes+")
	missingTS := good.Clone()
	missingTS.Del(HeaderTimestamp)
	garbage := good.Clone()
	garbage.Set(HeaderSignature, "v1=not-hex")
	unsigned := good.Clone()
	unsigned.Del(HeaderSignature)
	otherScheme := good.Clone()
	otherScheme.Set(HeaderSignature, "v2="+good.Get(HeaderSignature)[3:])
	// Changing the timestamp invalidates the signature: it is signed too.
	retimed := good.Clone()
	retimed.Set(HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))

	for name, c := range map[string]struct {
		secret []byte
		header http.Header
		body   []byte
		want   error
	}{
		"tampered body":           {testSecret, good, tampered, ErrBadSignature},
		"wrong secret":            {wrongSecret, good, body, ErrBadSignature},
		"no timestamp":            {testSecret, missingTS, body, ErrBadSignature},
		"no signature":            {testSecret, unsigned, body, ErrBadSignature},
		"garbled signature":       {testSecret, garbage, body, ErrBadSignature},
		"unknown scheme":          {testSecret, otherScheme, body, ErrBadSignature},
		"retimed":                 {testSecret, retimed, body, ErrBadSignature},
		"stale":                   {testSecret, signed(testSecret, body, now.Add(-tolerance-time.Second)), body, ErrStale},
		"from the future":         {testSecret, signed(testSecret, body, now.Add(tolerance+time.Second)), body, ErrStale},
		"stale and tampered":      {testSecret, signed(testSecret, body, now.Add(-time.Hour)), tampered, ErrBadSignature},
		"receiver without secret": {nil, signed(nil, body, now), body, ErrBadSignature},
	} {
		err := Verify(c.secret, c.header, c.body, now, tolerance)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: Verify = %v, want %v", name, err, c.want)
		}
		if c.want == ErrBadSignature && errors.Is(err, ErrStale) || c.want == ErrStale && errors.Is(err, ErrBadSignature) {
			t.Errorf("%s: %v is both stale and badly signed", name, err)
		}
	}

	// A sender rotating its secret signs with both; either secret verifies.
	rotating := good.Clone()
	rotating.Set(HeaderSignature, signed(wrongSecret, body, now.Add(-time.Minute)).Get(HeaderSignature)+", "+good.Get(HeaderSignature))
	if err := Verify(testSecret, rotating, body, now, tolerance); err != nil {
		t.Errorf("two signatures, the second one good: %v", err)
	}
	// No tolerance given: DefaultTolerance.
	if err := Verify(testSecret, signed(testSecret, body, now.Add(-DefaultTolerance-time.Second)), body, now, 0); !errors.Is(err, ErrStale) {
		t.Errorf("default tolerance: %v", err)
	}
}
