package controller

import (
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/labstack/echo/v4"

	"mediapush/internal/jwtcheck"
)

// unexpired reports an exp claim not yet past, with the 5 s leeway the checks allow.
func unexpired(claims map[string]any) bool {
	n, ok := claims["exp"].(json.Number)
	if !ok {
		return false
	}
	exp, err := n.Float64()
	return err == nil && exp+5 > float64(time.Now().Unix())
}

func signedJWT(tb testing.TB, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	tb.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// Only the API token itself, or an unexpired HS256 JWT signed with the REST secret, opens the
// control API.
func FuzzCredentialValid(f *testing.F) {
	apiToken := "api-token-0123456789"
	secret := []byte("rest-jwt-secret-rest-jwt-secret-")
	hour := time.Now().Add(time.Hour).Unix()
	good := signedJWT(f, jwt.SigningMethodHS256, secret, jwt.MapClaims{"exp": hour})
	f.Add("Bearer " + apiToken)
	f.Add(apiToken)
	f.Add("Bearer  " + apiToken + " ")
	f.Add(apiToken[:len(apiToken)-1])
	f.Add("Bearer " + good)
	f.Add(good)
	f.Add(good[:len(good)-1])
	f.Add(good + "=")
	f.Add(signedJWT(f, jwt.SigningMethodHS256, secret, jwt.MapClaims{"exp": time.Now().Add(-time.Hour).Unix()}))
	f.Add(signedJWT(f, jwt.SigningMethodHS256, secret, jwt.MapClaims{"sub": "no expiry"}))
	f.Add(signedJWT(f, jwt.SigningMethodHS512, secret, jwt.MapClaims{"exp": hour}))
	f.Add(signedJWT(f, jwt.SigningMethodHS256, []byte("another-secret-another-secret-00"), jwt.MapClaims{"exp": hour}))
	f.Add(signedJWT(f, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, jwt.MapClaims{"exp": hour}))
	f.Add("")
	f.Add("Bearer ")
	f.Add("Basic YWRtaW46YWRtaW4=")
	a := access{apiToken: []byte(apiToken), jwtSecret: secret}
	f.Fuzz(func(t *testing.T, header string) {
		if !a.credentialValid(header) {
			return
		}
		cred := strings.TrimSpace(header)
		if after, ok := strings.CutPrefix(cred, "Bearer "); ok {
			cred = strings.TrimSpace(after)
		}
		if cred == apiToken {
			return
		}
		claims, ok := jwtcheck.HS256Claims(cred, secret)
		if !ok || !unexpired(claims) {
			t.Fatalf("accepted %q: neither the API token nor an unexpired JWT signed with the secret", header)
		}
	})
}

// A Host header passes only when it is an IP literal, localhost or a configured name: a DNS
// rebinding page cannot reach the API under a name of its own.
func FuzzHostAllowed(f *testing.F) {
	for _, h := range []string{"127.0.0.1:5080", "[::1]:5080", "localhost", "LOCALHOST.:80", "app.localhost:1",
		"media.example.com", "Media.Example.COM.:443", "evil.example", "media.example.com.evil", "evil.example:media.example.com",
		"media.example.com@evil", "", ":80", "[]", "[media.example.com]", "a/b", "localhost%00", "media.example.com\x00.evil",
		"127.0.0.1.nip.io", "0x7f.1", "[fe80::1%25eth0]:80"} {
		f.Add(h)
	}
	a := access{hosts: map[string]bool{"media.example.com": true}}
	f.Fuzz(func(t *testing.T, hostport string) {
		if !a.hostAllowed(hostport) {
			return
		}
		host, err := hostName(hostport)
		if err != nil {
			t.Fatalf("allowed %q, whose name does not parse: %v", hostport, err)
		}
		if _, err := netip.ParseAddr(host); err == nil {
			return
		}
		if strings.Trim(host, "abcdefghijklmnopqrstuvwxyz0123456789.-_") != "" {
			t.Fatalf("allowed %q: name %q has characters no host name has", hostport, host)
		}
		if host != "localhost" && !strings.HasSuffix(host, ".localhost") && host != "media.example.com" {
			t.Fatalf("allowed %q as %q, which is none of this server's names", hostport, host)
		}
	})
}

// An offer is the body as sent, when it is declared as SDP (or not declared), not blank and at
// most 64 KiB; otherwise a client error says why.
func FuzzReadOffer(f *testing.F) {
	offer := "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n"
	f.Add("application/sdp", offer)
	f.Add("", offer)
	f.Add("application/sdp; charset=utf-8", offer)
	f.Add("Application/SDP", offer)
	f.Add("application/json", offer)
	f.Add("text/plain", offer)
	f.Add("application/sdp;;", offer)
	f.Add("application/sdp", " \r\n\t")
	f.Add("application/sdp", "")
	f.Add("application/sdp", strings.Repeat("a", maxOfferSize+1))
	e := echo.New()
	f.Fuzz(func(t *testing.T, contentType, body string) {
		r := httptest.NewRequest(http.MethodPost, "/app/whip/s1", strings.NewReader(body))
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		got, err := readOffer(e.NewContext(r, httptest.NewRecorder()))
		if err != nil {
			var se *Error
			if got != "" || !errors.As(err, &se) || se.Code < 400 || se.Code > 499 || se.Message == "" {
				t.Fatalf("refused with %q, %#v: want no offer and a client error", got, err)
			}
			return
		}
		if mt, _, _ := mime.ParseMediaType(contentType); contentType != "" && mt != "application/sdp" {
			t.Fatalf("accepted an offer sent as %q", contentType)
		}
		if got != body || len(got) > maxOfferSize || strings.TrimSpace(got) == "" {
			t.Fatalf("accepted an offer of %d bytes that is not the body of %d bytes, or is too large or blank", len(got), len(body))
		}
	})
}
