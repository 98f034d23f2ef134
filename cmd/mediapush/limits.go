package main

import (
	"flag"
	"fmt"
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
	length                                               *time.Duration
	minFree                                              *string
	readTimeout, idleTimeout                             *time.Duration
}

func limitFlags(fs *flag.FlagSet) limitsFlags {
	return limitsFlags{
		sessions: fs.Int("max-sessions", worker.DefaultMaxSessions(),
			"most media-push sessions at once, room recordings and Dolby mixes included (default: 2 per CPU core); 0: no limit"),
		length: fs.Duration("max-session-length", worker.DefaultMaxSessionLength,
			"a session that has recorded this long is stopped and its recording kept; 0: no limit"),
		pushes:     fs.Int("max-pushes", worker.DefaultMaxPushes, "most RTMP/WHIP pushes of one session; 0: no limit"),
		publishers: fs.Int("max-room-publishers", rooms.DefaultMaxPublishers, "most WHIP publishers in one room; 0: no limit"),
		viewers:    fs.Int("max-viewers", rooms.DefaultMaxViewers, "most WHEP viewers of one stream; 0: no limit"),
		minFree: fs.String("min-free-disk", humanize.IBytes(worker.DefaultMinFreeDisk),
			"free space kept on the data directory's disk: starts are refused and running sessions stopped below it (e.g. 500MiB, 2GiB); 0: not checked"),
		webhookEvents: fs.Int("webhook-max-events", 10000,
			"most webhook events waiting for delivery; past it the oldest is dropped (logged); 0: no limit"),
		readTimeout: fs.Duration("http-read-timeout", 30*time.Second, "longest time to read a request, body included"),
		idleTimeout: fs.Duration("http-idle-timeout", 2*time.Minute, "how long an idle keep-alive connection stays open"),
	}
}

// offIfZero turns a flag's 0 ("no limit") into the configuration's negative "no limit", whose 0
// means the default.
func offIfZero[T int | int64 | time.Duration](v T) T {
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
		"--max-viewers": *f.viewers, "--webhook-max-events": *f.webhookEvents} {
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
	return controller.Limits{
		MaxSessions: offIfZero(*f.sessions), MaxSessionLength: offIfZero(*f.length), MaxPushes: offIfZero(*f.pushes),
		MinFreeDisk: offIfZero(int64(min(minFree, 1<<62))),
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
