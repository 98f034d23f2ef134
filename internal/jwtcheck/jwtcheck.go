// Package jwtcheck verifies JSON Web Tokens without a JWT library, as a second opinion for tests.
package jwtcheck

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
)

// HS256Claims checks a compact JWT by hand, independently of the JWT library that the code
// under test uses: an HS256 header and an HMAC-SHA256 over secret. It returns the claims, with
// numbers as json.Number. Fuzz tests hold the library's verdicts against it.
func HS256Claims(token string, secret []byte) (map[string]any, bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, false
	}
	var header map[string]any
	if b, err := base64.RawURLEncoding.DecodeString(parts[0]); err != nil || json.Unmarshal(b, &header) != nil || header["alg"] != "HS256" {
		return nil, false
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(parts[0] + "." + parts[1]))
	if err != nil || !hmac.Equal(sig, m.Sum(nil)) {
		return nil, false
	}
	var claims map[string]any
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if dec.Decode(&claims) != nil {
		return nil, false
	}
	return claims, true
}
