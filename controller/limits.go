package controller

import (
	"errors"
	"net/http"
	"time"

	"mediapush/worker"
)

// Limits bound what one node takes on. Zero values are the defaults; a negative value turns a
// limit off. The conference server's own limits (publishers per room, viewers per stream) are
// in Config.Rooms, the webhook outbox's size in Config.Webhook.
type Limits struct {
	// MaxSessions is the most media-push sessions (room recordings and Dolby mixes included)
	// that run at once. Default worker.DefaultMaxSessions(): two per CPU core.
	MaxSessions int
	// MaxSessionLength ends a session that has recorded this long; its recording is kept and
	// its state is COMPLETE. Default 12 h.
	MaxSessionLength time.Duration
	// MaxPushes is the most RTMP and WHIP pushes of one session. Default 5.
	MaxPushes int
	// MinFreeDisk is the free space, in bytes, kept on the data directory's file system: starts
	// are refused below it, and running sessions are ended cleanly when it falls below it.
	// Default 1 GiB.
	MinFreeDisk int64
	// DiskCheckInterval is how often free space is checked while sessions run. Default 2 s.
	DiskCheckInterval time.Duration
	// FreeSpace reports the free bytes of a directory's file system. Default worker.FreeSpace.
	FreeSpace func(dir string) (uint64, error)
}

// limitError turns a refusal by a limit into an Error: 503 for what the whole node lacks (a
// session slot, disk space), so that clients try again later or elsewhere; 429 for what
// one session, room or stream has too many of.
func limitError(err error, perResource bool) (error, bool) {
	var le *worker.LimitError
	if !errors.As(err, &le) {
		return err, false
	}
	code := http.StatusServiceUnavailable
	if perResource {
		code = http.StatusTooManyRequests
	}
	return &Error{Code: code, Message: le.Message}, true
}
