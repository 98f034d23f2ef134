package worker

import (
	"fmt"
	"math"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
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

// Limits bound what one node takes on. Zero values are the defaults; a negative value turns a
// limit off.
type Limits struct {
	// MaxSessions is the most sessions that run at once; one more is refused. Default
	// DefaultMaxSessions(); negative: no limit.
	MaxSessions int
	// MaxSessionLength ends a session that has been ACTIVE this long, as a stop would: its
	// recording is finished and kept. Default DefaultMaxSessionLength; negative: no limit.
	MaxSessionLength time.Duration
	// MaxPushes is the most pushes of one session. Default DefaultMaxPushes; negative: no limit.
	MaxPushes int
	// MaxRestarts is how many times a session whose browser crashed is started again in a
	// fresh tab, its recording going on as a new part. Default DefaultMaxRestarts; negative:
	// none, a crash fails the session.
	MaxRestarts int
	// MinFreeDisk is the free space, in bytes, kept on DataDir's file system: a start is
	// refused below it, and running sessions are ended (their recordings finished) when it
	// falls below it. Default DefaultMinFreeDisk; negative: not checked.
	MinFreeDisk int64
	// DiskCheckInterval is how often free space is checked while sessions run. Default
	// DefaultDiskCheckInterval.
	DiskCheckInterval time.Duration
	// FreeSpace reports the free bytes of the file system holding a directory. Default
	// FreeSpace.
	FreeSpace func(dir string) (uint64, error)

	// CPUBudget is how many cores the sessions may use together: a start whose expected cost
	// would take the measured load past it is refused. Default DefaultCPUBudget(); negative:
	// not checked.
	CPUBudget float64
	// MemoryBudget is how many bytes (proportional set size) the sessions may use together.
	// Default DefaultMemoryBudget(); negative: not checked.
	MemoryBudget int64
	// CostInterval is how often running sessions are measured. Default DefaultCostInterval.
	CostInterval time.Duration
	// RampUp is how long after ACTIVE a session's measurements are taken as settled. Default
	// DefaultRampUp.
	RampUp time.Duration
	// Sample measures processes. Default procstat.Take.
	Sample Sampler

	// MinFPS, MaxAVOffset and DegradedAfter are the quality every running session should keep:
	// one that delivers fewer frames a second, or whose video is further from its audio, for
	// longer than DegradedAfter is reported (log, OnDegraded, metrics). Defaults
	// DefaultMinFPS, DefaultMaxAVOffset, DefaultDegradedAfter; a negative MaxAVOffset does not
	// check the offset.
	MinFPS        float64
	MaxAVOffset   time.Duration
	DegradedAfter time.Duration
}

// DefaultMaxSessions is two sessions per CPU core: each session's Chromium encodes its video in
// software, about half a core for 1280x720 at 30 frames a second, and more sessions than that
// would drop frames in every recording at once.
func DefaultMaxSessions() int { return 2 * runtime.NumCPU() }

// LimitError is a refusal because a configured limit is reached: the caller may try again
// later or elsewhere.
type LimitError struct {
	Message string
	// Cause is what is short, for a refused start: one of the Cause constants; "" otherwise.
	Cause string
	// RetryAfter is when trying again may succeed; 0 when nobody can tell.
	RetryAfter time.Duration
}

// What a start can be refused for: the fixed set of LimitError.Cause values.
const (
	CauseSessions = "sessions" // as many sessions as --max-sessions
	CauseCPU      = "cpu"      // the CPU budget
	CauseMemory   = "memory"   // the memory budget
	CauseDisk     = "disk"     // the free disk space kept
)

// Causes lists every Cause, in a fixed order.
var Causes = []string{CauseSessions, CauseCPU, CauseMemory, CauseDisk}

// DefaultRetryAfter is what a refused start suggests waiting: about as long as a start takes
// plus a few measurements of the load that follows.
const DefaultRetryAfter = 30 * time.Second

func (e *LimitError) Error() string { return e.Message }

// admitSession refuses a session beyond the most that may run at once; max ≤ 0 is no limit.
func admitSession(running, max int) error {
	if max > 0 && running >= max {
		return &LimitError{Message: fmt.Sprintf("the server runs as many sessions as it allows (%d); stop one or try again later", max),
			Cause: CauseSessions, RetryAfter: DefaultRetryAfter}
	}
	return nil
}

// admitPush refuses a push beyond the most one session makes; max ≤ 0 is no limit.
func admitPush(pushes, max int) error {
	if max > 0 && pushes >= max {
		return &LimitError{Message: fmt.Sprintf("the session has as many pushes as allowed (%d); remove one first", max)}
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
		byteSize(free), byteSize(uint64(min)))
}

// byteSize writes n in MiB or GiB with one decimal at most, rounded down: free space just below
// the minimum must not read as the minimum itself.
func byteSize(n uint64) string {
	v, unit := float64(n)/(1<<20), "MiB"
	if n >= 1<<30 {
		v, unit = float64(n)/(1<<30), "GiB"
	}
	return strconv.FormatFloat(math.Floor(v*10)/10, 'f', -1, 64) + " " + unit
}

// lengthLimitReason is the end reason of a session that reached its length limit.
func lengthLimitReason(limit time.Duration) string {
	d := limit.String() // 12h0m0s reads better as 12h, 1m30s stays
	if strings.HasSuffix(d, "m0s") {
		d = strings.TrimSuffix(d, "0s")
	}
	if strings.HasSuffix(d, "h0m") {
		d = strings.TrimSuffix(d, "0m")
	}
	return "the session reached its length limit of " + d
}
