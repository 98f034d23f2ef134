package main

import (
	"flag"
	"net/http"
	"os"
	"strings"
	"time"

	"mediapush/browser"
	"mediapush/config"
	"mediapush/controller"
	"mediapush/raw"
	"mediapush/worker"
)

// loadConfig reads command's configuration: its flags from args, then the file, the
// environment and the flags, checked once.
func loadConfig(command string, args []string) (config.Config, error) {
	fs := flag.NewFlagSet(command, flag.ContinueOnError)
	l := config.NewLoader(command)
	l.RegisterFlags(fs)
	if err := fs.Parse(args); err != nil {
		return config.Config{}, err
	}
	return l.Load()
}

// offIfZero turns a setting's 0 ("no limit") into the controller's negative "no limit", whose
// 0 means its default.
func offIfZero[T int | int64 | float64 | time.Duration](v T) T {
	if v == 0 {
		return -1
	}
	return v
}

// limits are the node's limits; "auto" is the machine's own figure.
func limits(l config.Limits) controller.Limits {
	return controller.Limits{
		MaxSessions:      offIfZero(l.MaxSessions.Or(worker.DefaultMaxSessions())),
		MaxSessionLength: offIfZero(l.MaxSessionLength), MaxPushes: offIfZero(l.MaxPushes), MaxRestarts: offIfZero(l.MaxRestarts),
		MinFreeDisk:  offIfZero(int64(l.MinFreeDisk)),
		CPUBudget:    offIfZero(l.CPUBudget.Or(worker.DefaultCPUBudget())),
		MemoryBudget: offIfZero(int64(l.MemoryBudget.Or(config.ByteSize(max(worker.DefaultMemoryBudget(), 0))))),
		MinFPS:       l.MinFPS, MaxAVOffset: offIfZero(l.MaxAVOffset), DegradedAfter: l.DegradedAfter,
	}
}

// capture is how every session captures its page and cuts its HLS recording; an "auto" video
// bitrate is the worker's, by the picture's size.
func capture(c config.Capture, h config.HLS) worker.Capture {
	return worker.Capture{FrameRate: c.FrameRate, VideoBitrate: c.VideoBitrate.Or(0), AudioBitrate: c.AudioBitrate, HLSSegment: h.Segment}
}

// quality is when a finished recording is suspect; a setting's 0 ("not checked") is the
// controller's negative.
func quality(q config.Quality) controller.QualityConfig {
	return controller.QualityConfig{Off: q.Off, MaxBlack: offIfZero(q.MaxBlack), MaxFrozen: offIfZero(q.MaxFrozen),
		MaxSilence: offIfZero(q.MaxSilence), MinFPSRatio: offIfZero(q.MinFPSRatio), MaxAVOffset: offIfZero(q.MaxAVOffset),
		MaxDurationShortfall: offIfZero(q.MaxDurationShortfall)}
}

// sessionConfig is what serve and worker share: the data directory, the sessions, Chromium,
// the destinations and the limits, with the logger; the data directory is created.
func sessionConfig(c config.Config) (controller.Config, error) {
	log, err := newLogger(c.Log.Level)
	if err != nil {
		return controller.Config{}, err
	}
	if err := os.MkdirAll(c.Storage.DataDir, 0o750); err != nil {
		return controller.Config{}, err
	}
	sandbox, err := browser.ParseSandboxMode(c.Browser.Sandbox)
	if err != nil {
		return controller.Config{}, err
	}
	cfg := controller.Config{DataDir: c.Storage.DataDir, Log: log,
		StartTimeout: c.Sessions.StartTimeout, StartSignalTimeout: c.Sessions.StartSignalTimeout, NoMediaTimeout: c.Sessions.NoMediaTimeout,
		ChromiumPath: c.Browser.ChromiumPath, ChromiumSwitches: c.Browser.Switches, ChromiumSandbox: sandbox,
		Browsers: browser.PoolSettings{Warm: c.Browser.Warm, TabsPerBrowser: c.Browser.TabsPerBrowser, SessionsPerBrowser: c.Browser.SessionsPerBrowser},
		Limits:   limits(c.Limits), BaseURL: c.HTTP.BaseURL, Capture: capture(c.Capture, c.HLS)}
	cfg.Destinations.Allow = c.Destinations.Allow
	return cfg, nil
}

// serveConfig is serve's controller configuration.
func serveConfig(c config.Config) (controller.Config, error) {
	cfg, err := sessionConfig(c)
	if err != nil {
		return cfg, err
	}
	cfg.RoomURL, cfg.PublicURL = c.Rooms.PageURL, strings.TrimSuffix(c.HTTP.PublicURL, "/")
	cfg.SignedDownloads, cfg.DownloadTTL = c.Downloads.Signed, c.Downloads.TTL
	cfg.MixRetention, cfg.IndividualRetention = c.Storage.MixRetention, c.Storage.IndividualRetention
	cfg.APIToken, cfg.RESTJWTSecret = c.API.Token, []byte(c.API.RESTJWTSecret)
	cfg.AllowedHosts, cfg.AllowedOrigins, cfg.ParticipantOrigins = c.HTTP.AllowedHosts, c.HTTP.AllowedOrigins, c.HTTP.ParticipantOrigins
	cfg.Rooms.TokenSecret, cfg.Rooms.PublicIPs, cfg.Rooms.NoMediaTimeout = []byte(c.Rooms.TokenSecret), c.Rooms.PublicIPs, c.Rooms.NoMediaTimeout
	cfg.Rooms.MaxPublishers, cfg.Rooms.MaxViewers = offIfZero(c.Rooms.MaxPublishers), offIfZero(c.Rooms.MaxViewers)
	cfg.RawRecording = raw.Mode(c.Rooms.RawRecording)
	if s3 := c.S3; s3.Bucket != "" {
		cfg.S3.Endpoint, cfg.S3.Bucket, cfg.S3.Region, cfg.S3.Prefix, cfg.S3.Secure = s3.Endpoint, s3.Bucket, s3.Region, s3.Prefix, !s3.Insecure
		cfg.S3.AccessKey, cfg.S3.SecretKey = s3.AccessKey, s3.SecretKey
	}
	cfg.UploadBackoff = c.S3.UploadBackoff
	cfg.Quality = quality(c.Quality)
	w := c.Webhook
	cfg.Webhook.MaxEvents, cfg.Webhook.Timeout = offIfZero(w.MaxEvents), w.Timeout
	cfg.Webhook.MinBackoff, cfg.Webhook.MaxBackoff, cfg.Webhook.MaxAge = w.MinBackoff, w.MaxBackoff, w.MaxAge
	if w.URL != "" {
		cfg.Webhook.URL, cfg.Webhook.Secret = w.URL, []byte(w.Secret)
	}
	return cfg, nil
}

// server is the HTTP server of the API. Reading a request is bounded, so a client that sends
// slowly cannot hold a connection. Writing is not: a WriteTimeout would cut the download of a
// large recording, a live HLS playlist fetch and the answer to a start or stop call, which
// arrives once the page plays or the recording is finished, minutes later for a long one.
func server(h config.HTTP, handler http.Handler) *http.Server {
	return &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: h.ReadTimeout, IdleTimeout: h.IdleTimeout}
}
