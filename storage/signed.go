package storage

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// Errors returned by Signer.Verify, wrapped with a message saying what was wrong.
var (
	ErrExpired      = errors.New("signed URL expired")
	ErrBadSignature = errors.New("bad URL signature")
)

// MinSignerKeyLen is the shortest key NewSigner accepts: as long as the SHA-256 output, so the
// key is not the weak part of the MAC.
const MinSignerKeyLen = 32

// Signer makes and checks expiring URLs for files the service serves itself, so a download link
// can be handed out without handing out API credentials. A URL carries
// expires=<unix seconds>&signature=<base64url HMAC-SHA256 of path and expiry>.
type Signer struct {
	key []byte
}

// NewSigner returns a Signer using key, which must be at least MinSignerKeyLen bytes.
func NewSigner(key []byte) (*Signer, error) {
	if len(key) < MinSignerKeyLen {
		return nil, fmt.Errorf("storage: URL signing key has %d bytes, need at least %d", len(key), MinSignerKeyLen)
	}
	return &Signer{key: append([]byte(nil), key...)}, nil
}

// RandomKey returns a new random key for NewSigner. URLs signed with it stop working when the
// process restarts, which suits a service that has no configured key.
func RandomKey() []byte {
	key := make([]byte, MinSignerKeyLen)
	rand.Read(key) // never fails: the runtime aborts if the system's randomness is unavailable
	return key
}

// Sign returns the query string that lets path be fetched until expires.
func (s *Signer) Sign(path string, expires time.Time) string {
	exp := strconv.FormatInt(expires.Unix(), 10)
	return "expires=" + exp + "&signature=" + base64.RawURLEncoding.EncodeToString(s.mac(path, exp))
}

// Verify checks the expires and signature parameters of q for path at time now.
// It returns an error wrapping ErrBadSignature or ErrExpired, or nil.
func (s *Signer) Verify(path string, q url.Values, now time.Time) error {
	exp, sig := q.Get("expires"), q.Get("signature")
	if exp == "" || sig == "" {
		return fmt.Errorf("storage: %s: %w: missing expires or signature", path, ErrBadSignature)
	}
	// Strict: the spare bits of the last character must be zero, so that a link has one
	// spelling and a signature cannot be altered into another one that still verifies.
	got, err := base64.RawURLEncoding.Strict().DecodeString(sig)
	if err != nil {
		return fmt.Errorf("storage: %s: %w: malformed signature", path, ErrBadSignature)
	}
	// The signature is checked before the expiry so that only a genuine link is ever reported
	// as expired; hmac.Equal keeps the comparison constant-time.
	if !hmac.Equal(got, s.mac(path, exp)) {
		return fmt.Errorf("storage: %s: %w", path, ErrBadSignature)
	}
	unix, err := strconv.ParseInt(exp, 10, 64)
	if err != nil {
		return fmt.Errorf("storage: %s: %w: malformed expiry", path, ErrBadSignature)
	}
	if expires := time.Unix(unix, 0); !now.Before(expires) {
		return fmt.Errorf("storage: %s: %w at %s", path, ErrExpired, expires.UTC().Format(time.RFC3339))
	}
	return nil
}

// mac signs the expiry exactly as it appears in the URL, then the path. A decimal expiry holds
// no newline, so the message splits one way only and no other pair can reuse a signature.
func (s *Signer) mac(path, expires string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(expires))
	m.Write([]byte{'\n'})
	m.Write([]byte(path))
	return m.Sum(nil)
}
