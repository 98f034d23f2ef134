package storage

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	_ "modernc.org/sqlite"
)

// openDB opens the SQLite file at path the way the service opens its catalog.
func openDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=synchronous(NORMAL)")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

func newTestUploader(t *testing.T, cfg UploaderConfig) *Uploader {
	t.Helper()
	if cfg.MinBackoff == 0 {
		cfg.MinBackoff, cfg.MaxBackoff = 20*time.Millisecond, 100*time.Millisecond
	}
	cfg.Log = zerolog.New(zerolog.NewTestWriter(t))
	u, err := NewUploader(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// run starts u.Run and returns a function that stops it and waits for it to return.
func run(t *testing.T, u *Uploader) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		u.Run(ctx)
	}()
	stop = func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return after its context ended")
		}
	}
	t.Cleanup(stop)
	return stop
}

// eventually polls cond until it holds or the test has waited too long.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func pendingOne(t *testing.T, u *Uploader) Upload {
	t.Helper()
	ups, err := u.Pending(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(ups) != 1 {
		t.Fatalf("%d pending uploads, want 1: %+v", len(ups), ups)
	}
	return ups[0]
}

func waitUploaded(t *testing.T, u *Uploader, key string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := u.Wait(ctx, key); err != nil {
		t.Fatalf("Wait(%s) = %v", key, err)
	}
}

func TestUploaderRetriesUntilStoreRecovers(t *testing.T) {
	ctx := context.Background()
	f := newFakeS3(t)
	store := f.store(t, f.config())
	var done atomic.Int32
	u := newTestUploader(t, UploaderConfig{
		DB:          openDB(t, filepath.Join(t.TempDir(), "service.db")),
		Store:       store,
		RemoveLocal: true,
		OnDone:      func(string) { done.Add(1) },
	})
	run(t, u)

	const key = "room1_composite-20261121-203612.mp4"
	path := filepath.Join(t.TempDir(), key)
	want := randomFile(t, path, 1<<20, 1)
	f.down.Store(true)
	if err := u.Enqueue(ctx, key, path); err != nil {
		t.Fatal(err)
	}

	eventually(t, "three failed attempts", func() bool { return pendingOne(t, u).Attempts >= 3 })
	p := pendingOne(t, u)
	if p.LastError == "" || p.Path != path || p.Failed || p.NextTry.IsZero() {
		t.Fatalf("pending upload after failures: %+v", p)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("local file gone before any upload succeeded: %v", err)
	}
	if done.Load() != 0 {
		t.Fatal("OnDone called while the store was down")
	}

	f.down.Store(false)
	waitUploaded(t, u, key)
	eventually(t, "local file removed", func() bool {
		_, err := os.Stat(path)
		return errors.Is(err, fs.ErrNotExist)
	})
	eventually(t, "OnDone", func() bool { return done.Load() >= 1 })
	time.Sleep(200 * time.Millisecond) // room for a wrong second call
	if n := done.Load(); n != 1 {
		t.Fatalf("OnDone called %d times", n)
	}
	if ups, _ := u.Pending(ctx); len(ups) != 0 {
		t.Fatalf("still pending after upload: %+v", ups)
	}

	url, err := store.URL(ctx, key, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := f.download(t, url); got != want {
		t.Fatal("uploaded object differs from the file")
	}
}

func TestUploaderSurvivesRestart(t *testing.T) {
	f := newFakeS3(t)
	store := f.store(t, f.config())
	dbPath := filepath.Join(t.TempDir(), "service.db")
	const key = "room2_composite-20261121-210000.mp4"
	path := filepath.Join(t.TempDir(), key)
	want := randomFile(t, path, 256<<10, 2)

	// The first process queues the upload while the store is down, and stops.
	f.down.Store(true)
	db1 := openDB(t, dbPath)
	u1 := newTestUploader(t, UploaderConfig{DB: db1, Store: store, RemoveLocal: true})
	stop := run(t, u1)
	if err := u1.Enqueue(context.Background(), key, path); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a failed attempt", func() bool { return pendingOne(t, u1).Attempts >= 1 })
	stop()
	db1.Close()

	// The next process, with the store back, finishes it without being told again.
	f.down.Store(false)
	var done atomic.Int32
	u2 := newTestUploader(t, UploaderConfig{
		DB: openDB(t, dbPath), Store: store, RemoveLocal: true,
		MinBackoff: time.Hour, MaxBackoff: time.Hour, // the earlier backoff must not hold it back
		OnDone: func(string) { done.Add(1) },
	})
	if p := pendingOne(t, u2); p.Key != key || p.Path != path {
		t.Fatalf("pending after restart: %+v", p)
	}
	run(t, u2)
	waitUploaded(t, u2, key)
	eventually(t, "OnDone", func() bool { return done.Load() == 1 })
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("local file after upload: %v", err)
	}
	url, err := store.URL(context.Background(), key, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := f.download(t, url); got != want {
		t.Fatal("uploaded object differs from the file")
	}
}

func TestUploaderMissingFileFailsForGood(t *testing.T) {
	ctx := context.Background()
	u := newTestUploader(t, UploaderConfig{
		DB:    openDB(t, filepath.Join(t.TempDir(), "service.db")),
		Store: dirStore(t.TempDir()),
	})
	run(t, u)
	const key = "lost.mp4"
	if err := u.Enqueue(ctx, key, filepath.Join(t.TempDir(), key)); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := u.Wait(wctx, key); !errors.Is(err, ErrUploadFailed) {
		t.Fatalf("Wait = %v, want ErrUploadFailed", err)
	}
	time.Sleep(200 * time.Millisecond) // several backoffs' worth: it must not be tried again
	p := pendingOne(t, u)
	if !p.Failed || p.Attempts != 1 || p.LastError == "" || !p.NextTry.IsZero() {
		t.Fatalf("failed upload: %+v", p)
	}
	if err := u.Wait(ctx, "never-queued.mp4"); !errors.Is(err, ErrNotQueued) {
		t.Fatalf("Wait for an unknown key = %v, want ErrNotQueued", err)
	}
}

func TestUploaderReenqueueUpdatesPath(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	now := time.Date(2026, 11, 21, 20, 36, 12, 0, time.UTC)
	u := newTestUploader(t, UploaderConfig{
		DB:    openDB(t, filepath.Join(t.TempDir(), "service.db")),
		Store: dirStore(dir),
		Now:   func() time.Time { return now },
	})
	const key = "room3-20261121-203612.mp3"
	first := filepath.Join(t.TempDir(), "first.mp3")
	second := filepath.Join(t.TempDir(), "second.mp3")
	writeFile(t, second, []byte("second"))
	if err := u.Enqueue(ctx, key, first); err != nil {
		t.Fatal(err)
	}
	if err := u.Enqueue(ctx, key, second); err != nil {
		t.Fatal(err)
	}
	if p := pendingOne(t, u); p.Path != second || !p.NextTry.Equal(now) {
		t.Fatalf("after re-enqueue: %+v", p)
	}
	run(t, u)
	waitUploaded(t, u, key)
	if got, err := os.ReadFile(filepath.Join(dir, key)); err != nil || string(got) != "second" {
		t.Fatalf("stored %q, %v; want the second file", got, err)
	}
}

func TestUploaderConfig(t *testing.T) {
	db := openDB(t, filepath.Join(t.TempDir(), "service.db"))
	u := newTestUploader(t, UploaderConfig{DB: db, Store: dirStore(t.TempDir())})
	if err := u.Enqueue(context.Background(), "../escape.mp4", "/tmp/x"); !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("Enqueue of a bad key = %v", err)
	}
}

func TestBackoff(t *testing.T) {
	u := &Uploader{cfg: UploaderConfig{MinBackoff: time.Second, MaxBackoff: 5 * time.Minute}}
	for n, full := range map[int]time.Duration{
		1: time.Second, 2: 2 * time.Second, 5: 16 * time.Second, 9: 256 * time.Second,
		10: 5 * time.Minute, 1000: 5 * time.Minute,
	} {
		for range 100 {
			if d := u.backoff(n); d < full/2 || d > full {
				t.Fatalf("backoff(%d) = %v, want within [%v, %v]", n, d, full/2, full)
			}
		}
	}
}

// dirStore is a Store that copies files into a directory: the queue's own behaviour, without
// a network (the S3 store is tested against a real S3 server).
type dirStore string

func (d dirStore) Name() string { return "dir " + string(d) }

func (d dirStore) Put(_ context.Context, key, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(string(d), key), b, 0o644)
}

func (d dirStore) Delete(_ context.Context, key string) error {
	err := os.Remove(filepath.Join(string(d), key))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

func (d dirStore) URL(_ context.Context, key string, _ time.Duration) (string, error) {
	return "file://" + filepath.Join(string(d), key), nil
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestUploaderKeepsEnqueueOrder uploads files due at the same moment in the order they were
// enqueued, whatever their names: an HLS playlist enqueued after its segments goes last.
func TestUploaderKeepsEnqueueOrder(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 2, 15, 34, 26, 0, time.UTC)
	var mu sync.Mutex
	var order []string
	u := newTestUploader(t, UploaderConfig{
		DB:    openDB(t, filepath.Join(t.TempDir(), "service.db")),
		Store: dirStore(t.TempDir()),
		Now:   func() time.Time { return now },
		OnDone: func(key string) {
			mu.Lock()
			order = append(order, key)
			mu.Unlock()
		},
	})
	keys := []string{"s-20261202-153426_00000.m4s", "s-20261202-153426_00001.m4s", "s-20261202-153426_init.mp4", "s-20261202-153426.m3u8"}
	src := t.TempDir()
	for _, k := range keys {
		writeFile(t, filepath.Join(src, k), []byte(k))
		if err := u.Enqueue(ctx, k, filepath.Join(src, k)); err != nil {
			t.Fatal(err)
		}
	}
	run(t, u)
	eventually(t, "every upload", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(order) == len(keys)
	})
	for _, k := range keys {
		if done, err := u.Done(ctx, k); err != nil || !done {
			t.Fatalf("Done(%s) = %v, %v after the upload", k, done, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(order, keys) {
		t.Fatalf("uploaded in the order %v, want %v", order, keys)
	}
}
