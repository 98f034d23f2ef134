package storage

import (
	"context"
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

const testBucket = "recordings"

// fakeS3 is an in-memory S3 server that can be made to fail. It is served over TLS because over
// plain HTTP minio-go signs multipart parts in aws-chunked encoding, which gofakes3 stores
// verbatim, chunk headers and all; over TLS the payload goes unsigned and arrives byte-exact.
type fakeS3 struct {
	srv   *httptest.Server
	down  atomic.Bool  // while set, every request gets 503 Service Unavailable
	parts atomic.Int64 // multipart part uploads served
}

func newFakeS3(t *testing.T) *fakeS3 {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket(testBucket); err != nil {
		t.Fatal(err)
	}
	s3 := gofakes3.New(backend).Server()
	f := &fakeS3{}
	f.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f.down.Load() {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>ServiceUnavailable</Code><Message>down for the test</Message></Error>`)
			return
		}
		if r.Method == http.MethodPut && r.URL.Query().Has("partNumber") {
			f.parts.Add(1)
		}
		s3.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeS3) config() S3Config {
	return S3Config{
		Endpoint:   f.srv.Listener.Addr().String(),
		Secure:     true,
		Region:     "us-east-1",
		Bucket:     testBucket,
		Prefix:     "mediapush/",
		AccessKey:  "test-access",
		SecretKey:  "test-secret",
		Transport:  f.srv.Client().Transport,
		MaxRetries: 1, // the tests that take the server down want failures reported at once
	}
}

func (f *fakeS3) store(t *testing.T, cfg S3Config) *S3 {
	t.Helper()
	s, err := NewS3(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// download fetches url with the test server's client and returns the body's SHA-256 and the
// response's Content-Type.
func (f *fakeS3) download(t *testing.T, url string) ([32]byte, string) {
	t.Helper()
	resp, err := f.srv.Client().Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	h := sha256.New()
	if _, err := io.Copy(h, resp.Body); err != nil {
		t.Fatal(err)
	}
	return [32]byte(h.Sum(nil)), resp.Header.Get("Content-Type")
}

// randomFile writes size pseudo-random bytes (incompressible, and different per seed) to path
// and returns their SHA-256.
func randomFile(t *testing.T, path string, size int, seed uint64) [32]byte {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	rng := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)})
	if _, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(rng, int64(size))); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return [32]byte(h.Sum(nil))
}

// randomFileDigest is the SHA-256 of the file at path, as randomFile returns it.
func randomFileDigest(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}
