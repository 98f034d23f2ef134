package storage

import (
	"bytes"
	"errors"
	"net/url"
	"strconv"
	"testing"
	"time"
)

func testSigner(t *testing.T) *Signer {
	t.Helper()
	s, err := NewSigner(RandomKey())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSignerVerify(t *testing.T) {
	s := testSigner(t)
	const path = "/recordings/room1_composite-20261121-203612.mp4"
	now := time.Unix(1_800_000_000, 0)
	expires := now.Add(time.Hour)
	signed, err := url.ParseQuery(s.Sign(path, expires))
	if err != nil {
		t.Fatal(err)
	}
	if got := signed.Get("expires"); got != strconv.FormatInt(expires.Unix(), 10) {
		t.Fatalf("expires = %q", got)
	}

	with := func(key, value string) url.Values {
		q := url.Values{}
		for k, v := range signed {
			q[k] = append([]string(nil), v...)
		}
		if value == "" {
			q.Del(key)
		} else {
			q.Set(key, value)
		}
		return q
	}
	sig := []byte(signed.Get("signature"))
	// Another valid base64url character, so the signature decodes but to different bytes.
	if sig[3] == 'A' {
		sig[3] = 'B'
	} else {
		sig[3] = 'A'
	}

	for _, tc := range []struct {
		name string
		path string
		q    url.Values
		now  time.Time
		want error
	}{
		{"valid", path, signed, now, nil},
		{"valid until the last second", path, signed, expires.Add(-time.Second), nil},
		{"expired", path, signed, expires, ErrExpired},
		{"long expired", path, signed, expires.Add(24 * time.Hour), ErrExpired},
		{"tampered path", "/recordings/room2_composite-20261121-203612.mp4", signed, now, ErrBadSignature},
		{"tampered signature", path, with("signature", string(sig)), now, ErrBadSignature},
		{"garbage signature", path, with("signature", "!!"), now, ErrBadSignature},
		{"extended expiry", path, with("expires", strconv.FormatInt(expires.Add(time.Hour).Unix(), 10)), expires, ErrBadSignature},
		{"missing signature", path, with("signature", ""), now, ErrBadSignature},
		{"missing expires", path, with("expires", ""), now, ErrBadSignature},
		{"no parameters", path, url.Values{}, now, ErrBadSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Verify(tc.path, tc.q, tc.now)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
			if err != nil && err.Error() == tc.want.Error() {
				t.Fatalf("error %q says nothing beyond the sentinel", err)
			}
		})
	}

	other := testSigner(t)
	if err := other.Verify(path, signed, now); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("another key's Verify = %v, want ErrBadSignature", err)
	}
}

func TestSignerKeys(t *testing.T) {
	if _, err := NewSigner(make([]byte, MinSignerKeyLen-1)); err == nil {
		t.Fatal("NewSigner accepted a short key")
	}
	a, b := RandomKey(), RandomKey()
	if len(a) < MinSignerKeyLen || bytes.Equal(a, b) {
		t.Fatalf("RandomKey gave %d bytes, equal twice: %v", len(a), bytes.Equal(a, b))
	}
}
