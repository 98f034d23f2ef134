package main

import (
	"flag"
	"fmt"
	"math"
	"net/http"
	"time"

	"github.com/dustin/go-humanize"

	"mediapush/controller"
	"mediapush/rooms"
	"mediapush/worker"
)

// limitsFlags are serve's flags that bound what one node takes on; 0 turns a limit off.
type limitsFlags struct {
	sessions, pushes, publishers, viewers, webhookEvents *int
	restarts                                             *int
	length                                               *time.Duration
	minFree                                              *string
	readTimeout, idleTimeout                             *time.Duration
	cpuBudget, minFPS                                    *float64
	memoryBudget                                         *string
	degradedAfter, maxAVOffset                           *time.Duration
}

// limitFlags declares serve's limits: a session's and the server's own.
func limitFlags(fs *flag.FlagSet) limitsFlags {
	f := sessionLimitFlags(fs)
	f.publishers = fs.Int("max-room-publishers", rooms.DefaultMaxPublishers, "most WHIP publishers in one room; 0: no limit")
	f.viewers = fs.Int("max-viewers", rooms.DefaultMaxViewers, "most WHEP viewers of one stream; 0: no limit")
	f.webhookEvents = fs.Int("webhook-max-events", 10000,
		"most webhook events waiting for delivery; past it the oldest is dropped (logged); 0: no limit")
	f.readTimeout = fs.Duration("http-read-timeout", 30*time.Second, "longest time to read a request, body included")
	f.idleTimeout = fs.Duration("http-idle-timeout", 2*time.Minute, "how long an idle keep-alive connection stays open")
	return f
}

// sessionLimitFlags declares the limits of whatever runs sessions, serve and worker alike:
// how many, how long, the budget and the quality targets. The server's own stay at their
// defaults.
func sessionLimitFlags(fs *flag.FlagSet) limitsFlags {
	readTimeout, idleTimeout := 30*time.Second, 2*time.Minute
	return limitsFlags{
		publishers: new(int), viewers: new(int), webhookEvents: new(int), readTimeout: &readTimeout, idleTimeout: &idleTimeout,
		sessions: fs.Int("max-sessions", worker.DefaultMaxSessions(),
			"most media-push sessions at once, room recordings and Dolby mixes included (default: 2 per CPU core); 0: no limit"),
		length: fs.Duration("max-session-length", worker.DefaultMaxSessionLength,
			"a session that has recorded this long is stopped and its recording kept; 0: no limit"),
		restarts: fs.Int("max-restarts", worker.DefaultMaxRestarts,
			"times a session whose Chromium crashed is started again in a fresh tab, its recording going on as a new part; 0: a crash fails the session"),
		pushes: fs.Int("max-pushes", worker.DefaultMaxPushes, "most RTMP/WHIP pushes of one session; 0: no limit"),
		minFree: fs.String("min-free-disk", humanize.IBytes(worker.DefaultMinFreeDisk),
			"free space kept on the data directory's disk: starts are refused and running sessions stopped below it (e.g. 500MiB, 2GiB); 0: not checked"),
		cpuBudget: fs.Float64("cpu-budget", worker.DefaultCPUBudget(),
			"cores the sessions may use together: a start that would take the measured load past it is refused (default: the machine's cores less 10%, at least 0.2); 0: not checked"),
		memoryBudget: fs.String("memory-budget", humanize.IBytes(uint64(max(worker.DefaultMemoryBudget(), 0))),
			"memory the sessions may use together, e.g. 8GiB (default: 80% of the memory available at start); 0: not checked"),
		minFPS: fs.Float64("min-fps", worker.DefaultMinFPS, "frames a second below which a running session is reported as degraded"),
		maxAVOffset: fs.Duration("max-av-offset", worker.DefaultMaxAVOffset,
			"how far a running session's video may lag or lead its audio before it is reported as degraded; 0: not checked"),
		degradedAfter: fs.Duration("degraded-after", worker.DefaultDegradedAfter, "how long a session stays below --min-fps or --max-av-offset before it is reported"),
	}
}

// offIfZero turns a flag's 0 ("no limit") into the configuration's negative "no limit", whose 0
// means the default.
func offIfZero[T int | int64 | float64 | time.Duration](v T) T {
	if v == 0 {
		return -1
	}
	return v
}

func (f limitsFlags) limits() (controller.Limits, error) {
	minFree, err := humanize.ParseBytes(*f.minFree)
	if err != nil {
		return controller.Limits{}, fmt.Errorf("--min-free-disk %q: a size like 500MiB or 2GiB", *f.minFree)
	}
	for name, v := range map[string]int{"--max-sessions": *f.sessions, "--max-pushes": *f.pushes, "--max-room-publishers": *f.publishers,
		"--max-viewers": *f.viewers, "--webhook-max-events": *f.webhookEvents, "--max-restarts": *f.restarts} {
		if v < 0 {
			return controller.Limits{}, fmt.Errorf("%s %d: a limit is 0 (none) or more", name, v)
		}
	}
	if *f.length < 0 {
		return controller.Limits{}, fmt.Errorf("--max-session-length %s: 0 (none) or more", *f.length)
	}
	if *f.readTimeout <= 0 || *f.idleTimeout <= 0 {
		return controller.Limits{}, fmt.Errorf("--http-read-timeout and --http-idle-timeout must be positive")
	}
	memBudget, err := humanize.ParseBytes(*f.memoryBudget)
	if err != nil {
		return controller.Limits{}, fmt.Errorf("--memory-budget %q: a size like 8GiB or 512MiB", *f.memoryBudget)
	}
	if math.IsNaN(*f.cpuBudget) || math.IsInf(*f.cpuBudget, 0) || *f.cpuBudget < 0 {
		return controller.Limits{}, fmt.Errorf("--cpu-budget %v: a number of cores, 0 (not checked) or more", *f.cpuBudget)
	}
	if math.IsNaN(*f.minFPS) || *f.minFPS <= 0 || *f.minFPS > 240 {
		return controller.Limits{}, fmt.Errorf("--min-fps %v: frames a second, more than 0", *f.minFPS)
	}
	if *f.maxAVOffset < 0 || *f.degradedAfter <= 0 {
		return controller.Limits{}, fmt.Errorf("--max-av-offset must be 0 (not checked) or more, --degraded-after positive")
	}
	return controller.Limits{
		MaxSessions: offIfZero(*f.sessions), MaxSessionLength: offIfZero(*f.length), MaxPushes: offIfZero(*f.pushes),
		MinFreeDisk: offIfZero(int64(min(minFree, 1<<62))), MaxRestarts: offIfZero(*f.restarts),
		CPUBudget: offIfZero(*f.cpuBudget), MemoryBudget: offIfZero(int64(min(memBudget, 1<<62))),
		MinFPS: *f.minFPS, MaxAVOffset: offIfZero(*f.maxAVOffset), DegradedAfter: *f.degradedAfter,
	}, nil
}

// server is the HTTP server of the API. Reading a request is bounded, so a client that sends
// slowly cannot hold a connection. Writing is not: a WriteTimeout would cut the download of a
// large recording, a live HLS playlist fetch and the answer to a start or stop call, which
// arrives once the page plays or the recording is finished, minutes later for a long one.
func (f limitsFlags) server(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: *f.readTimeout, IdleTimeout: *f.idleTimeout}
}
