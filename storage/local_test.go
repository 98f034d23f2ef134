package storage

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func newTestLocal(t *testing.T) (*Local, *Signer, string) {
	t.Helper()
	dir := t.TempDir()
	signer := testSigner(t)
	base := func(key string) string { return "https://media.example/live/streams/" + url.PathEscape(key) + "?dl=1" }
	return NewLocal(dir, signer, base), signer, dir
}

func TestLocalPutCopiesFileFromOutside(t *testing.T) {
	ctx := context.Background()
	l, _, dir := newTestLocal(t)
	src := filepath.Join(t.TempDir(), "rec.mp4")
	data := bytes.Repeat([]byte("mp4 "), 100_000)
	writeFile(t, src, data)

	const key = "room1_composite-20261121-203612.mp4"
	if err := l.Put(ctx, key, src); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, key))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("stored copy: %d bytes, err %v; want %d bytes", len(got), err, len(data))
	}
	if st, _ := os.Stat(filepath.Join(dir, key)); st.Mode().Perm() != 0o644 {
		t.Fatalf("stored copy has mode %v, want the source's 0644", st.Mode().Perm())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("dir holds %d entries, want only the recording (no temp files)", len(entries))
	}
	if _, err := os.Stat(src); err != nil {
		t.Fatalf("source removed: %v", err)
	}
}

func TestLocalPutInPlaceIsNoop(t *testing.T) {
	ctx := context.Background()
	l, _, dir := newTestLocal(t)
	const key = "room1-20261121-203612.mp3"
	path := filepath.Join(dir, key)
	writeFile(t, path, []byte("id3"))
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	// Through a different spelling of the same path.
	if err := l.Put(ctx, key, filepath.Join(dir, ".", key)); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(path); !st.ModTime().Equal(old) {
		t.Fatalf("file rewritten: mtime %v, want %v", st.ModTime(), old)
	}
}

func TestLocalErrors(t *testing.T) {
	ctx := context.Background()
	l, _, _ := newTestLocal(t)
	if err := l.Put(ctx, "a.mp4", filepath.Join(t.TempDir(), "missing.mp4")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Put of a missing file = %v, want fs.ErrNotExist", err)
	}
	for _, key := range []string{"", "..", "../a.mp4", "sub/a.mp4"} {
		if err := l.Put(ctx, key, "/etc/hostname"); !errors.Is(err, ErrInvalidKey) {
			t.Fatalf("Put(%q) = %v, want ErrInvalidKey", key, err)
		}
	}
	if err := l.Delete(ctx, "never-stored.mp4"); err != nil {
		t.Fatalf("Delete of a missing key = %v", err)
	}
}

func TestLocalURLVerifies(t *testing.T) {
	ctx := context.Background()
	l, signer, dir := newTestLocal(t)
	const key = "room 1_composite-20261121-203612.mp4" // a space, to be escaped
	writeFile(t, filepath.Join(dir, key), []byte("x"))

	raw, err := l.URL(ctx, key, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	// As the serving handler sees it: the decoded path and the query.
	if u.Path != "/live/streams/"+key || u.Query().Get("dl") != "1" {
		t.Fatalf("URL %s lost the public base's path or query", raw)
	}
	if err := signer.Verify(u.Path, u.Query(), time.Now()); err != nil {
		t.Fatalf("Verify(%s) = %v", raw, err)
	}
	if err := signer.Verify(u.Path, u.Query(), time.Now().Add(2*time.Minute)); !errors.Is(err, ErrExpired) {
		t.Fatalf("Verify after the ttl = %v, want ErrExpired", err)
	}

	if err := l.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, key)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("after Delete: %v", err)
	}
}
