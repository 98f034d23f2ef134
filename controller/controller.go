package controller

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"mediapush/browser"
	"mediapush/catalog"
	"mediapush/cluster"
	"mediapush/internal/destination"
	"mediapush/legs"
	"mediapush/raw"
	"mediapush/rooms"
	"mediapush/signalling"
	"mediapush/storage"
	"mediapush/webhook"
	"mediapush/worker"
)

// Config configures a Controller. The zero value of each field but DataDir is a working default.
type Config struct {
	// DataDir holds the catalog, the recordings and the sessions' temporary files.
	DataDir string
	// StartTimeout bounds a start call: page load, capture and first frame. Default 30 s.
	StartTimeout time.Duration
	// NoMediaTimeout fails a session that sends nothing for this long. Default 10 s.
	NoMediaTimeout time.Duration
	// StartSignalTimeout bounds the wait for the start signal of a page recorded with
	// awaitStartSignal. Default 30 s.
	StartSignalTimeout time.Duration
	// ChromiumPath overrides the Chromium binary.
	ChromiumPath string
	// ChromiumSwitches are Chromium switches the operator adds to every browser, one
	// "--name[=value]" each; mediapush's own (profile, extension, debugging pipe, window
	// size, sandbox) cannot be changed. Start calls may set only a few harmless ones.
	ChromiumSwitches []string
	// ChromiumSandbox is auto (default: sandboxed when running as non-root with unprivileged
	// user namespaces), on (Open fails where the host cannot) or off.
	ChromiumSandbox browser.SandboxMode
	// Browsers say how sessions share browsers (see worker.Config.Browsers).
	Browsers browser.PoolSettings
	// Capture is the frame rate and bitrates of every session's capture and the length of
	// its HLS segments (zero: the defaults; see worker.Capture).
	Capture worker.Capture

	// Rooms configures the conference server (WHIP publishers, WHEP viewers, rooms); its Log
	// is this Config's.
	Rooms rooms.Config
	// RoomURL is the page a room recording loads, with {base}, {app}, {roomId}, {token} and
	// {layout} filled in. Default DefaultRoomURL.
	RoomURL string
	// BaseURL is how this node's browsers reach its pages (the {base} of RoomURL). Default: the
	// address each request arrived on.
	BaseURL string

	// S3 keeps finished recordings in an S3-compatible bucket when its Bucket is set; they
	// stay in DataDir/streams otherwise.
	S3 storage.S3Config
	// UploadBackoff is the first pause after a failed upload (it doubles). Default 1 s.
	UploadBackoff time.Duration
	// Webhook announces recordings (Recordings.Available) and sessions' states when its URL
	// is set; its DB and Log are the controller's.
	Webhook webhook.Config
	// DownloadTTL is how long a signed download URL works. Default 10 minutes.
	DownloadTTL time.Duration
	// SignedDownloads refuses /{app}/streams files without a valid signature. Off by default:
	// Ant Media serves them openly and players of live HLS fetch segments unsigned.
	SignedDownloads bool
	// PublicURL is how clients reach this node, the start of download URLs handed out by the
	// Monitor API and webhooks (e.g. https://rec.example.com). Default: relative URLs.
	PublicURL string
	// Retention deletes recordings older than these ages; a negative age keeps them for ever.
	// Default 180 days for mixes, 15 days for individual participant audio.
	MixRetention, IndividualRetention time.Duration
	// RawRecording says which rooms keep a raw recording (each publication's media as
	// relayed, and a manifest): raw.WithRecording (default) while they are recorded,
	// raw.Always from their first participant, raw.Off none. Its retention is individual audio's.
	RawRecording raw.Mode
	// Now is the clock of retention; default time.Now.
	Now func() time.Time
	// Limits bound the sessions at once, their length, their pushes and the disk space kept free.
	Limits Limits
	// Quality says how finished recordings are measured and when one is suspect.
	Quality QualityConfig
	// Cluster, when its Conn is set, places sessions on worker nodes over NATS.
	Cluster ClusterConfig
	// Destinations says where the node may connect on a caller's behalf: pages and all they
	// load, WHIP and RTMP pushes, the webhook. By default internal addresses (loopback but
	// the node's own, private, link-local, cloud metadata…) are refused; Allow lists the
	// exceptions (--allow-destination). The S3 endpoint is not judged.
	Destinations destination.Config
	// APIToken, when set, is required (Authorization: Bearer) by every control call: the REST,
	// Dolby and Monitor routes and the recordings. Without it (and without RESTJWTSecret) those
	// answer only callers on this machine.
	APIToken string
	// RESTJWTSecret, when set, also admits control calls carrying an Ant Media REST JWT (HS256
	// over this secret, with an expiry), with or without "Bearer ".
	RESTJWTSecret []byte
	// AllowedHosts are the names this server answers to besides IP literals, localhost and the
	// hosts of PublicURL and BaseURL: a request with another Host header is refused.
	AllowedHosts []string
	// AllowedOrigins are the web origins (https://app.example.com) whose pages may call the
	// control routes from a browser; other cross-site requests are refused.
	AllowedOrigins []string
	// ParticipantOrigins are the web origins whose pages may publish and play from a browser:
	// WHIP and WHEP (CORS) and the JS SDK's WebSocket; "*" or none: any origin. Those requests
	// carry their own stream tokens, never cookies. This server's own pages may always.
	ParticipantOrigins []string
	Log                zerolog.Logger
}

// Controller is a whole mediapush node: API, catalog, and an in-process worker with its
// ingest; in cluster mode (Config.Cluster) it places sessions on worker nodes instead, its
// own worker being one of them unless turned off.
type Controller struct {
	svc *Service
	cat *catalog.Catalog
	// host runs this process's own sessions; nil in cluster mode without local sessions.
	host *workerHost
	// dispatcher places sessions on worker nodes in cluster mode; node serves host there.
	dispatcher *cluster.Dispatcher
	node       *cluster.Node
	hub        *rooms.Hub
	legs       *legs.Recorder
	raw        *raw.Recorder
	echo       *echo.Echo
	cfg        Config
	access     access
	// whipCORS answers browsers of other origins on the WHIP and WHEP routes.
	whipCORS whipCORS
	// stopBackground ends the uploader, the webhook outbox and retention; background waits for them.
	stopBackground context.CancelFunc
	closing        chan struct{} // closed when Close begins
	background     sync.WaitGroup
	log            zerolog.Logger
	// baseURL is Config.BaseURL.
	baseURL string
	// policy judges destinations; the host's proxy enforces it for the browsers.
	policy *destination.Policy
	// remixProxy holds remixes' layout pages to the policy on a node without a host.
	remixProxy *destination.Proxy

	// signalling serves the JS SDK's WebSocket over hub.
	signalling *signalling.Server
	// metrics is the node's Prometheus registry.
	metrics *prometheus.Registry
}

// Open starts a node on cfg.DataDir. Sessions that were running when a previous process died
// are marked FAILED, and their unfinished recordings are saved as VoDs.
func Open(cfg Config) (*Controller, error) {
	c := &Controller{log: cfg.Log, baseURL: cfg.BaseURL, closing: make(chan struct{})}
	if cfg.RoomURL == "" {
		cfg.RoomURL = DefaultRoomURL
	}
	if cfg.DownloadTTL == 0 {
		cfg.DownloadTTL = DefaultDownloadTTL
	}
	if cfg.MixRetention == 0 {
		cfg.MixRetention = DefaultMixRetention
	}
	if cfg.IndividualRetention == 0 {
		cfg.IndividualRetention = DefaultIndividualRetention
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	c.cfg = cfg
	cfg.Rooms.Log = cfg.Log
	var err error
	if c.access, err = newAccess(cfg); err != nil {
		return nil, err
	}
	if c.whipCORS, err = newWHIPCORS(cfg.ParticipantOrigins); err != nil {
		return nil, err
	}
	policy, err := openPolicy(cfg)
	if err != nil {
		return nil, err
	}
	c.policy = policy
	if cfg.Rooms.Dial == nil {
		cfg.Rooms.Dial = policy.DialContext
	}
	if cfg.Webhook.Dial == nil {
		cfg.Webhook.Dial = policy.DialContext
	}
	cat, err := catalog.Open(filepath.Join(cfg.DataDir, "catalog.db"))
	if err != nil {
		return nil, err
	}
	c.cat = cat
	if c.hub, err = rooms.New(cfg.Rooms); err != nil {
		cat.Close()
		return nil, err
	}
	c.svc = &Service{cat: cat, hub: c.hub, roomURL: cfg.RoomURL, now: cfg.Now, log: cfg.Log, policy: policy,
		streamsDir: filepath.Join(cfg.DataDir, "streams")}
	c.svc.timelines = newTimelines(c.hub, cfg.Now)
	c.signalling = newSignalling(cfg, c.svc, c.hub)
	// SDK participants (Circle) learn isRecording from broadcastObject notifications.
	c.svc.OnRoomRecordingChanged(c.signalling.NotifyBroadcastChanged)
	if err := c.openRunner(cfg); err != nil {
		c.hub.Close()
		cat.Close()
		return nil, err
	}
	c.metrics = newMetricsRegistry(c.loadSource())
	if err := c.openDelivery(cfg); err != nil {
		c.closeRunner(context.Background()) //nolint:errcheck // nothing runs yet
		c.hub.Close()
		cat.Close()
		return nil, err
	}
	c.legs = legs.New(c.hub, filepath.Join(cfg.DataDir, "recording"), c.svc.streamsDir, c.svc.addLeg, cfg.Log)
	c.svc.legs = c.legs
	c.raw, err = raw.New(raw.Config{Hub: c.hub, Mode: cfg.RawRecording, WorkDir: filepath.Join(cfg.DataDir, "recording", "raw"),
		StreamsDir: c.svc.streamsDir, OnDone: c.svc.addRaw, Log: cfg.Log})
	if err != nil {
		c.log.Error().Err(err).Msg("rooms will not be recorded raw")
	}
	c.svc.raw = c.raw
	if !cfg.Quality.Off {
		c.svc.measurer = newMeasurer(c.svc, cfg.Quality, cfg.Log)
		c.svc.measurer.resume(context.Background()) // before recovery lists recordings of its own
	}
	c.recover(cfg)
	c.legs.Recover(context.Background())
	c.raw.Recover()
	if err := c.openRemixer(cfg); err != nil {
		c.log.Error().Err(err).Msg("raw recordings cannot be remixed on this node")
	}

	c.echo = echo.New()
	c.echo.HideBanner, c.echo.HidePort = true, true
	c.echo.HTTPErrorHandler = func(err error, ctx echo.Context) {
		var he *echo.HTTPError
		code := http.StatusInternalServerError
		if errors.As(err, &he) {
			code = he.Code
		}
		if !ctx.Response().Committed {
			ctx.JSON(code, failed(http.StatusText(code), "")) //nolint:errcheck // the client went away
		}
	}
	c.echo.Pre(c.noteSelf)
	c.routes(c.echo)
	if c.dispatcher != nil {
		c.dispatcher.Begin() // the service is whole: the nodes' events may be applied
	}
	return c, nil
}

// recover settles what a previous process left: its sessions failed, its recordings saved.
// In cluster mode a session a worker node still runs is not failed: that is known once every
// live node has been heard from, a node timeout later.
func (c *Controller) recover(cfg Config) {
	ctx := context.Background()
	if c.dispatcher != nil {
		c.background.Add(1)
		go func() {
			defer c.background.Done()
			c.failLost(cfg.Cluster.nodeTimeout())
		}()
	} else {
		ids, err := c.cat.FailUnfinished(ctx, interrupted, time.Now().UnixMilli())
		c.logInterrupted(ids, err)
	}
	if c.host == nil {
		return
	}
	recs, err := c.host.worker.Recover(ctx)
	if err != nil {
		c.log.Error().Err(err).Msg("some interrupted recordings could not be saved; they stay in the recording directory")
	}
	for _, r := range recs {
		c.svc.addVoD(ctx, r)
	}
}

const interrupted = "mediapush stopped while the session was running"

func (c *Controller) logInterrupted(ids []string, err error) {
	if err != nil {
		c.log.Error().Err(err).Msg("catalog: marking interrupted sessions")
	}
	for _, id := range ids {
		c.log.Warn().Str("streamId", id).Msg("session was interrupted by a restart: FAILED")
	}
}

// Handler is the HTTP API.
func (c *Controller) Handler() http.Handler { return c.echo }

// Progress reports a running session's figures.
func (c *Controller) Progress(streamID string) (worker.Progress, error) {
	if c.dispatcher != nil {
		return c.dispatcher.Progress(streamID)
	}
	return c.host.worker.Progress(streamID)
}

// Close stops every session (finishing its recording), then the background work, the ingest
// and the catalog. Uploads and webhooks not done yet are kept for the next start.
func (c *Controller) Close(ctx context.Context) error {
	close(c.closing)
	errs := []error{c.closeRunner(ctx)}
	c.legs.Close(ctx)
	c.raw.Close()
	c.closeRemixer() // before measuring stops: a remix ends in measuring its file
	if c.svc.measurer != nil {
		// Before the uploads and the webhook outbox stop: measuring ends in a delivery.
		c.svc.measurer.close(ctx)
	}
	c.stopBackground()
	c.background.Wait()
	c.signalling.Close()
	c.hub.Close()
	errs = append(errs, c.cat.Close())
	return errors.Join(errs...)
}
