package worker

import "time"

// Defaults of a Config's timeouts.
const (
	// DefaultStartTimeout bounds a start: page load, capture and first frame.
	DefaultStartTimeout = 30 * time.Second
	// DefaultStartSignalTimeout bounds the wait for a page's start signal.
	DefaultStartSignalTimeout = 30 * time.Second
	// DefaultNoMediaTimeout fails an ACTIVE session that receives nothing for this long.
	DefaultNoMediaTimeout = 10 * time.Second
)
