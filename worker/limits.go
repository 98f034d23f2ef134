package worker

import (
	"fmt"
	"runtime"
	"syscall"
	"time"

	"github.com/dustin/go-humanize"
)

// Defaults of the worker's limits.
const (
	// DefaultMaxSessionLength ends a session that has recorded for half a day: a forgotten
	// session would otherwise fill the disk.
	DefaultMaxSessionLength = 12 * time.Hour
	// DefaultMaxPushes is the most pushes (RTMP or WHIP) of one session.
	DefaultMaxPushes = 5
	// DefaultMinFreeDisk is the free space kept on the data directory's file system: enough to
	// finish the running recordings, whose MP4 is written beside the Matroska it is made from.
	DefaultMinFreeDisk = 1 << 30
	// DefaultDiskCheckInterval is how often a recording's free space is checked.
	DefaultDiskCheckInterval = 2 * time.Second
)

// DefaultMaxSessions is two sessions per CPU core: each session's Chromium encodes its video in
// software, about half a core for 1280x720 at 30 frames a second, and more sessions than that
// would drop frames in every recording at once.
func DefaultMaxSessions() int { return 2 * runtime.NumCPU() }

// LimitError is a refusal because a configured limit is reached: the caller may try again
// later or elsewhere.
type LimitError struct{ Message string }

func (e *LimitError) Error() string { return e.Message }

// admitSession refuses a session beyond the most that may run at once; max ≤ 0 is no limit.
func admitSession(running, max int) error {
	if max > 0 && running >= max {
		return &LimitError{Message: fmt.Sprintf("%d sessions are running, the most this server runs at once; stop one or try again later", running)}
	}
	return nil
}

// admitPush refuses a push beyond the most one session makes; max ≤ 0 is no limit.
func admitPush(pushes, max int) error {
	if max > 0 && pushes >= max {
		return &LimitError{Message: fmt.Sprintf("the session pushes to %d endpoints already, the most allowed; remove one first", pushes)}
	}
	return nil
}

// FreeSpace is how many bytes an unprivileged process may still write on the file system that
// holds dir.
func FreeSpace(dir string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("free space of %s: %w", dir, err)
	}
	return st.Bavail * uint64(st.Bsize), nil //nolint:gosec // Bsize is positive
}

// lowDisk says why free bytes are too few to keep min free, or "" when they are enough;
// min ≤ 0 checks nothing.
func lowDisk(free uint64, min int64) string {
	if min <= 0 || free >= uint64(min) {
		return ""
	}
	return fmt.Sprintf("only %s is free on the data directory's disk, less than the %s kept free",
		humanize.IBytes(free), humanize.IBytes(uint64(min)))
}

// lengthLimitReason is the end reason of a session that reached its length limit.
func lengthLimitReason(limit time.Duration) string {
	return fmt.Sprintf("the session reached its length limit of %s", limit)
}
