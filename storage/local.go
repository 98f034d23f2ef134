package storage

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"
)

// Local is a Store in a directory the service serves itself. Recordings are written there in
// the first place, so storing one usually costs nothing; downloads go through signed URLs.
type Local struct {
	dir        string
	signer     *Signer
	publicBase func(key string) string
}

// NewLocal returns the Store kept in dir. publicBase maps a key to the URL (absolute, or just a
// path) where the service serves it; URL adds a signature from signer to it.
func NewLocal(dir string, signer *Signer, publicBase func(key string) string) *Local {
	return &Local{dir: dir, signer: signer, publicBase: publicBase}
}

// Name implements Store.
func (l *Local) Name() string { return "local" }

// Path is where key's file is kept.
func (l *Local) Path(key string) string { return filepath.Join(l.dir, key) }

// Put implements Store. A file already at its place in the directory is left alone; any other is
// copied in under a temporary name, synced and renamed, so a reader never sees half a file and a
// crash leaves either the old content or the new.
func (l *Local) Put(ctx context.Context, key, path string) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	src, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("storage: local put %s: %w", key, err)
	}
	dst := l.Path(key)
	if cur, err := os.Stat(dst); err == nil && os.SameFile(src, cur) {
		return nil
	}
	if err := copyFileAtomic(ctx, path, dst); err != nil {
		return fmt.Errorf("storage: local put %s: %w", key, err)
	}
	return nil
}

// Delete implements Store.
func (l *Local) Delete(_ context.Context, key string) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	if err := os.Remove(l.Path(key)); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("storage: local delete %s: %w", key, err)
	}
	return nil
}

// URL implements Store. The signature covers the URL's path, which is what the serving handler
// sees as r.URL.Path and passes to Signer.Verify.
func (l *Local) URL(_ context.Context, key string, ttl time.Duration) (string, error) {
	if err := CheckKey(key); err != nil {
		return "", err
	}
	u, err := url.Parse(l.publicBase(key))
	if err != nil {
		return "", fmt.Errorf("storage: public URL of %s: %w", key, err)
	}
	q := l.signer.Sign(u.Path, time.Now().Add(ttl))
	if u.RawQuery != "" {
		q = u.RawQuery + "&" + q
	}
	u.RawQuery = q
	return u.String(), nil
}
