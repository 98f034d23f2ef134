package storage

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestS3PutURLDelete(t *testing.T) {
	ctx := context.Background()
	f := newFakeS3(t)
	cfg := f.config()
	cfg.PartSize = 5 << 20
	s := f.store(t, cfg)
	if s.Name() != "s3://recordings/mediapush" {
		t.Fatalf("Name = %q", s.Name())
	}
	dir := t.TempDir()

	for _, tc := range []struct {
		key       string
		size      int
		minParts  int64
		wantType  string
		multipart bool
	}{
		{"room1_composite-20261121-203612.mp3", 100_000, 0, "audio/mpeg", false},
		{"room1_composite-20261121-203612.mp4", 40 << 20, 8, "video/mp4", true},
	} {
		t.Run(tc.key, func(t *testing.T) {
			path := filepath.Join(dir, tc.key)
			want := randomFile(t, path, tc.size, uint64(tc.size))
			partsBefore := f.parts.Load()

			start := time.Now()
			if err := s.Put(ctx, tc.key, path); err != nil {
				t.Fatal(err)
			}
			t.Logf("put %d bytes in %v", tc.size, time.Since(start).Round(time.Millisecond))
			parts := f.parts.Load() - partsBefore
			if tc.multipart && parts < tc.minParts || !tc.multipart && parts != 0 {
				t.Fatalf("%d multipart parts uploaded", parts)
			}

			u, err := s.URL(ctx, tc.key, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(u, "/recordings/mediapush/"+tc.key) || !strings.Contains(u, "X-Amz-Signature=") {
				t.Fatalf("URL %s is not a presigned URL of the prefixed object", u)
			}
			got, ctype := f.download(t, u)
			if got != want {
				t.Fatal("downloaded bytes differ from the file")
			}
			if ctype != tc.wantType {
				t.Fatalf("Content-Type = %q, want %q", ctype, tc.wantType)
			}
			copied := filepath.Join(t.TempDir(), "copy")
			if err := s.Get(ctx, tc.key, copied); err != nil {
				t.Fatal(err)
			}
			if got := randomFileDigest(t, copied); got != want {
				t.Fatal("the bytes Get copied differ from the file")
			}

			if err := s.Delete(ctx, tc.key); err != nil {
				t.Fatal(err)
			}
			resp, err := f.srv.Client().Get(u)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusNotFound {
				t.Fatalf("GET after Delete: %s", resp.Status)
			}
			if err := s.Delete(ctx, tc.key); err != nil {
				t.Fatalf("second Delete = %v", err)
			}
		})
	}
}

func TestNewS3MissingBucket(t *testing.T) {
	f := newFakeS3(t)
	cfg := f.config()
	cfg.Bucket = "no-such-bucket"
	_, err := NewS3(context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), "no-such-bucket") || !strings.Contains(err.Error(), cfg.Endpoint) {
		t.Fatalf("NewS3 = %v, want an error naming the bucket and the endpoint", err)
	}
}

func TestS3PutMissingFile(t *testing.T) {
	f := newFakeS3(t)
	s := f.store(t, f.config())
	err := s.Put(context.Background(), "gone.mp4", filepath.Join(t.TempDir(), "gone.mp4"))
	if !permanent(err) || !strings.Contains(err.Error(), "s3://recordings/mediapush/gone.mp4") {
		t.Fatalf("Put of a missing file = %v, want a permanent error naming the object", err)
	}
}

func TestContentType(t *testing.T) {
	for key, want := range map[string]string{
		"a.mp4":        "video/mp4",
		"a.MP4":        "video/mp4",
		"a.mp3":        "audio/mpeg",
		"a.webm":       "video/webm",
		"a.m3u8":       "application/vnd.apple.mpegurl",
		"a_000001.m4s": "video/iso.segment",
		"a.json":       "application/json",
		"a":            "application/octet-stream",
	} {
		if got := ContentType(key); got != want {
			t.Errorf("ContentType(%q) = %q, want %q", key, got, want)
		}
	}
}
