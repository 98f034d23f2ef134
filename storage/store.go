// Package storage keeps finished recordings somewhere they can be downloaded from besides the
// service's own data directory: an S3-compatible bucket (S3). The Uploader moves files into a
// Store through a queue kept in SQLite, so an upload that fails is retried in the background,
// survives a restart, and the local file is only removed once the store has confirmed its copy.
package storage

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Store keeps finished recordings under keys such as "room1_composite-20261121-203612.mp4".
// Keys are flat names; an HLS recording is several keys sharing a prefix.
type Store interface {
	// Name says where the store is, for logs: "local" or "s3://bucket/prefix".
	Name() string
	// Put stores the local file at path under key and returns once the stored copy is
	// confirmed (for S3: the upload completed and the object's size equals the file's).
	Put(ctx context.Context, key, path string) error
	// Delete removes key; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// URL is a download URL for key that works for ttl.
	URL(ctx context.Context, key string, ttl time.Duration) (string, error)
}

// ErrInvalidKey is returned for a key that is not a flat file name.
var ErrInvalidKey = errors.New("storage: invalid key")

// CheckKey refuses keys that are not flat file names. Keys become file names in the local
// store, so a separator or a dot-dot would let a key escape the data directory.
func CheckKey(key string) error {
	switch {
	case key == "", key == ".", key == "..":
		return fmt.Errorf("%w %q", ErrInvalidKey, key)
	case strings.ContainsAny(key, "/\\\x00"):
		return fmt.Errorf("%w %q: must not contain a path separator", ErrInvalidKey, key)
	}
	return nil
}
