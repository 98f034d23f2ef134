package config

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"os"
	"reflect"
	"time"

	"github.com/rs/zerolog"

	"mediapush/browser"
	"mediapush/cluster"
	"mediapush/controller"
	"mediapush/ingest"
	"mediapush/output"
	"mediapush/raw"
	"mediapush/webhook"
	"mediapush/worker"
)

// MinTokenSecretLen is the shortest rooms.tokenSecret: it signs the stream tokens (HS256).
const MinTokenSecretLen = 32

// checker collects what is wrong with a configuration, each problem naming its setting.
type checker struct {
	cfg     *Config
	origins map[string]string
	byAddr  map[uintptr]*Setting
	errs    []error
}

// setting is the setting whose field ptr points to.
func (c *checker) setting(ptr any) *Setting {
	s := c.byAddr[reflect.ValueOf(ptr).Pointer()]
	if s == nil {
		panic(fmt.Sprintf("config: %T is no setting's field", ptr))
	}
	return s
}

// bad reports the setting at ptr with its value: "limits.maxPushes (--max-pushes): -2: why".
func (c *checker) bad(ptr any, why string) {
	s := c.setting(ptr)
	c.errs = append(c.errs, fmt.Errorf("%s: %s: %s", named(s, c.origins), text(reflect.ValueOf(ptr).Elem()), why))
}

// badItem reports one item of a list setting.
func (c *checker) badItem(ptr any, item, why string) {
	c.errs = append(c.errs, fmt.Errorf("%s: %q: %s", named(c.setting(ptr), c.origins), item, why))
}

// badSecret reports a secret without showing it.
func (c *checker) badSecret(ptr any, why string) {
	c.errs = append(c.errs, fmt.Errorf("%s: %s", named(c.setting(ptr), c.origins), why))
}

// need reports a setting that must be given, with the ways to give it.
func (c *checker) need(ptr any, why string) {
	s := c.setting(ptr)
	ways := s.Env
	if s.Flag != "" {
		ways = "--" + s.Flag + " or " + s.Env
	}
	c.errs = append(c.errs, fmt.Errorf("%s (%s) is required: %s", s.Key, ways, why))
}

func (c *checker) limit(ptr *int) {
	if *ptr < 0 {
		c.bad(ptr, "a limit is 0 (none) or more")
	}
}

func (c *checker) positive(ptr *time.Duration) {
	if *ptr <= 0 {
		c.bad(ptr, "a duration more than 0")
	}
}

func (c *checker) notNegative(ptr *time.Duration, why string) {
	if *ptr < 0 {
		c.bad(ptr, why)
	}
}

func (c *checker) absoluteURL(ptr *string) {
	if *ptr == "" {
		return
	}
	if u, err := url.Parse(*ptr); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		c.errs = append(c.errs, fmt.Errorf("%s: an absolute http(s) URL like https://host:port", named(c.setting(ptr), c.origins)))
	}
}

// validate checks a configuration once, at start, for command ("serve", "worker", or "" for
// what both need).
func validate(cfg *Config, command string, origins map[string]string) error {
	c := &checker{cfg: cfg, origins: origins, byAddr: map[uintptr]*Setting{}}
	for _, s := range Settings() {
		c.byAddr[s.value(cfg).Addr().Pointer()] = s
	}
	c.common()
	switch command {
	case "serve":
		c.serve()
		c.serveCluster()
	case "worker":
		c.worker()
	default:
		c.serve()
	}
	return errors.Join(c.errs...)
}

func (c *checker) common() {
	cfg := c.cfg
	if _, err := zerolog.ParseLevel(cfg.Log.Level); err != nil || cfg.Log.Level == "" {
		c.bad(&cfg.Log.Level, "debug, info, warn or error")
	}
	if cfg.Storage.DataDir == "" {
		c.bad(&cfg.Storage.DataDir, "a directory")
	}
	c.absoluteURL(&cfg.HTTP.BaseURL)
	c.positive(&cfg.Sessions.StartTimeout)
	c.positive(&cfg.Sessions.StartSignalTimeout)
	c.positive(&cfg.Sessions.NoMediaTimeout)

	c.capture()

	b := &cfg.Browser
	if b.ChromiumPath != "" {
		if fi, err := os.Stat(b.ChromiumPath); err != nil || fi.IsDir() {
			c.bad(&b.ChromiumPath, "no such program")
		}
	}
	for _, sw := range b.Switches {
		if _, err := browser.ParseServerSwitches([]string{sw}); err != nil {
			c.badItem(&b.Switches, sw, err.Error())
		}
	}
	if _, err := browser.ParseSandboxMode(b.Sandbox); err != nil || b.Sandbox == "" {
		c.bad(&b.Sandbox, "auto (where the host allows it), on or off")
	}
	if b.Warm < 0 || b.Warm > 16 {
		c.bad(&b.Warm, "0 to 16")
	}
	if b.TabsPerBrowser < 1 || b.TabsPerBrowser > 32 {
		c.bad(&b.TabsPerBrowser, "1 to 32")
	}
	if b.SessionsPerBrowser < 1 {
		c.bad(&b.SessionsPerBrowser, "1 or more")
	}

	l := &cfg.Limits
	if !l.MaxSessions.Auto && l.MaxSessions.Value < 0 {
		c.bad(&l.MaxSessions, "a limit is 0 (none) or more")
	}
	c.limit(&l.MaxRestarts)
	c.limit(&l.MaxPushes)
	c.notNegative(&l.MaxSessionLength, "0 (none) or more")
	if l.MinFreeDisk < 0 {
		c.bad(&l.MinFreeDisk, "0 (not checked) or more")
	}
	if v := l.CPUBudget.Value; !l.CPUBudget.Auto && (math.IsNaN(v) || math.IsInf(v, 0) || v < 0) {
		c.bad(&l.CPUBudget, "a number of cores, 0 (not checked) or more, or auto")
	}
	if !l.MemoryBudget.Auto && l.MemoryBudget.Value < 0 {
		c.bad(&l.MemoryBudget, "0 (not checked) or more, or auto")
	}
	if math.IsNaN(l.MinFPS) || l.MinFPS <= 0 || l.MinFPS > 240 {
		c.bad(&l.MinFPS, "frames a second, more than 0 and at most 240")
	}
	c.notNegative(&l.MaxAVOffset, "0 (not checked) or more")
	c.positive(&l.DegradedAfter)

	if cfg.Cluster.NodeID != "" {
		if err := cluster.ValidNodeID(cfg.Cluster.NodeID); err != nil {
			c.bad(&cfg.Cluster.NodeID, "1 to 64 letters, digits, '-' or '_'")
		}
	}
}

// serve checks the settings only serve uses. A worker leaves them unchecked: it may share a
// file with serve, without serve's secrets in its environment.
func (c *checker) serve() {
	cfg := c.cfg
	h := &cfg.HTTP
	if h.Addr == "" {
		c.bad(&h.Addr, "an address like :5080 or 127.0.0.1:5080")
	}
	c.positive(&h.ReadTimeout)
	c.positive(&h.IdleTimeout)
	c.absoluteURL(&h.PublicURL)
	c.positive(&cfg.Downloads.TTL)
	if len(cfg.API.RESTJWTSecret) > 0 && len(cfg.API.RESTJWTSecret) < controller.MinRESTJWTSecretLen {
		c.badSecret(&cfg.API.RESTJWTSecret, fmt.Sprintf("at least %d bytes", controller.MinRESTJWTSecretLen))
	}

	s3 := &cfg.S3
	if (s3.Endpoint == "") != (s3.Bucket == "") {
		if s3.Endpoint == "" {
			c.need(&s3.Endpoint, "s3.endpoint and s3.bucket go together")
		} else {
			c.need(&s3.Bucket, "s3.endpoint and s3.bucket go together")
		}
	}
	c.positive(&s3.UploadBackoff)

	w := &cfg.Webhook
	c.absoluteURL(&w.URL)
	if w.URL != "" && len(w.Secret) < webhook.MinSecretLen {
		if w.Secret == "" {
			c.need(&w.Secret, fmt.Sprintf("a webhook is signed with a secret of at least %d bytes", webhook.MinSecretLen))
		} else {
			c.badSecret(&w.Secret, fmt.Sprintf("at least %d bytes", webhook.MinSecretLen))
		}
	}
	c.limit(&w.MaxEvents)
	c.positive(&w.Timeout)
	c.positive(&w.MinBackoff)
	c.positive(&w.MaxBackoff)
	c.positive(&w.MaxAge)
	if w.MinBackoff > w.MaxBackoff {
		c.bad(&w.MaxBackoff, "at least webhook.minBackoff ("+formatDuration(w.MinBackoff)+")")
	}

	r := &cfg.Rooms
	if r.PageURL == "" {
		c.bad(&r.PageURL, "a page like "+controller.DefaultRoomURL)
	}
	for _, ip := range r.PublicIPs {
		if net.ParseIP(ip) == nil {
			c.badItem(&r.PublicIPs, ip, "not an IP address")
		}
	}
	if len(r.TokenSecret) > 0 && len(r.TokenSecret) < MinTokenSecretLen {
		c.badSecret(&r.TokenSecret, fmt.Sprintf("at least %d characters", MinTokenSecretLen))
	}
	c.positive(&r.NoMediaTimeout)
	c.limit(&r.MaxPublishers)
	c.limit(&r.MaxViewers)
	if _, err := raw.ParseMode(r.RawRecording); err != nil {
		c.bad(&r.RawRecording, "always, withRecording or off")
	}
	c.positive(&cfg.Cluster.NodeTimeout)
	c.quality()
}

// capture checks the capture's figures and the HLS segments' length.
func (c *checker) capture() {
	cp, l := &c.cfg.Capture, &c.cfg.Limits
	if cp.FrameRate < worker.MinCaptureFPS || cp.FrameRate > worker.MaxCaptureFPS {
		c.bad(&cp.FrameRate, fmt.Sprintf("frames a second, %d to %d", worker.MinCaptureFPS, worker.MaxCaptureFPS))
	} else if _, given := c.origins[c.setting(&l.MinFPS).Key]; given && l.MinFPS > float64(cp.FrameRate) {
		c.bad(&l.MinFPS, fmt.Sprintf("more than capture.frameRate (%d): every session would be degraded", cp.FrameRate))
	}
	if v := cp.VideoBitrate; !v.Auto && worker.CheckVideoBitrate(v.Value) != nil {
		c.bad(&cp.VideoBitrate, fmt.Sprintf("bits a second, %d to %d, or auto", worker.MinVideoBitrate, worker.MaxVideoBitrate))
	}
	if ingest.CheckOpusBitrate(cp.AudioBitrate) != nil {
		c.bad(&cp.AudioBitrate, fmt.Sprintf("bits a second, %d to %d", ingest.MinOpusBitrate, ingest.MaxOpusBitrate))
	}
	if output.CheckHLSSegment(c.cfg.HLS.Segment) != nil {
		c.bad(&c.cfg.HLS.Segment, fmt.Sprintf("a length of %s to %s", formatDuration(output.MinHLSSegment), formatDuration(output.MaxHLSSegment)))
	}
}

// quality checks when a finished recording is suspect.
func (c *checker) quality() {
	q := &c.cfg.Quality
	for _, d := range []*time.Duration{&q.MaxBlack, &q.MaxFrozen, &q.MaxSilence, &q.MaxAVOffset, &q.MaxDurationShortfall} {
		c.notNegative(d, "0 (not checked) or more")
	}
	if math.IsNaN(q.MinFPSRatio) || q.MinFPSRatio < 0 || q.MinFPSRatio > 1 {
		c.bad(&q.MinFPSRatio, "a share of capture.frameRate, 0 (not checked) to 1")
	}
}

// serveCluster checks how serve takes part in a cluster.
func (c *checker) serveCluster() {
	cl := &c.cfg.Cluster
	if cl.NATSListen != "" && cl.NATS != "" {
		c.bad(&cl.NATS, "give cluster.natsListen (an embedded NATS server) or cluster.nats (another one), not both")
	}
	if !cl.LocalSessions && cl.NATSListen == "" && cl.NATS == "" {
		c.bad(&cl.LocalSessions, "without sessions of its own serve needs worker nodes: give cluster.natsListen or cluster.nats")
	}
}

// worker checks what a worker node needs.
func (c *checker) worker() {
	cfg := c.cfg
	if cfg.Cluster.NATS == "" {
		c.need(&cfg.Cluster.NATS, "the URL of the NATS server the controller uses")
	}
	c.absoluteURL(&cfg.Worker.ControllerURL)
	c.positive(&cfg.Worker.DrainTimeout)
}
