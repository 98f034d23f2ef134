// Package config is mediapush's configuration: one struct, its defaults, and the sources it
// is read from, in this order of precedence: the defaults, a YAML file (--config FILE or
// MEDIAPUSH_CONFIG), MEDIAPUSH_* environment variables, command-line flags.
//
// Every leaf field is a setting. Its key is the path of koanf tags ("limits.maxSessions");
// its environment variable is derived from the key (MEDIAPUSH_LIMITS_MAX_SESSIONS) unless an
// env tag names another; its flag is the flag tag, or the key in kebab case
// ("limits-max-sessions") when there is none. Secrets (secret:"true") have no flag: a command
// line is visible to every user of the machine. A cmd tag ("serve" or "worker") keeps a
// field's flag off the other command. mediapush.yml beside this file documents every setting
// with its default, and a test holds it equal to Defaults().
//
// To add a setting: add a field with its koanf tag to the struct of its section (a flag tag
// only to keep an older flag's name), its default to Defaults() (the package's own Default*
// constant where it has one), and one commented line to mediapush.yml; a range check, if it
// needs one, to validate.go. Its environment variable, flag, help text, printing and tests
// follow from these.
package config

import (
	"time"

	"mediapush/browser"
	"mediapush/cluster"
	"mediapush/controller"
	"mediapush/ingest"
	"mediapush/output"
	"mediapush/raw"
	"mediapush/rooms"
	"mediapush/storage"
	"mediapush/webhook"
	"mediapush/worker"
)

// Config is every setting of mediapush serve and mediapush worker.
type Config struct {
	Log          Log          `koanf:"log"`
	HTTP         HTTP         `koanf:"http"`
	API          API          `koanf:"api"`
	Storage      Storage      `koanf:"storage"`
	Downloads    Downloads    `koanf:"downloads" cmd:"serve"`
	S3           S3           `koanf:"s3" cmd:"serve"`
	Webhook      Webhook      `koanf:"webhook" cmd:"serve"`
	Rooms        Rooms        `koanf:"rooms" cmd:"serve"`
	Sessions     Sessions     `koanf:"sessions"`
	Capture      Capture      `koanf:"capture"`
	HLS          HLS          `koanf:"hls"`
	Browser      Browser      `koanf:"browser"`
	Destinations Destinations `koanf:"destinations"`
	Limits       Limits       `koanf:"limits"`
	Quality      Quality      `koanf:"quality" cmd:"serve"`
	Cluster      Cluster      `koanf:"cluster"`
	Worker       Worker       `koanf:"worker" cmd:"worker"`
}

// Log is what the process logs.
type Log struct {
	Level string `koanf:"level" flag:"log-level"`
}

// HTTP is the API's server and who may reach it.
type HTTP struct {
	Addr               string        `koanf:"addr" flag:"addr" cmd:"serve"`
	MetricsAddr        string        `koanf:"metricsAddr" flag:"metrics-addr" cmd:"serve"`
	ReadTimeout        time.Duration `koanf:"readTimeout" flag:"http-read-timeout" cmd:"serve"`
	IdleTimeout        time.Duration `koanf:"idleTimeout" flag:"http-idle-timeout" cmd:"serve"`
	PublicURL          string        `koanf:"publicUrl" flag:"public-url" cmd:"serve"`
	BaseURL            string        `koanf:"baseUrl" flag:"base-url"`
	AllowedHosts       []string      `koanf:"allowedHosts" flag:"allowed-host" cmd:"serve"`
	AllowedOrigins     []string      `koanf:"allowedOrigins" flag:"allowed-origin" cmd:"serve"`
	ParticipantOrigins []string      `koanf:"participantOrigins" flag:"participant-origin" cmd:"serve"`
}

// API holds the control API's credentials.
type API struct {
	Token         string `koanf:"token" secret:"true"`
	RESTJWTSecret string `koanf:"restJwtSecret" secret:"true" env:"MEDIAPUSH_REST_JWT_SECRET"`
}

// Storage is where recordings and the catalog are kept, and for how long.
type Storage struct {
	DataDir             string        `koanf:"dataDir" flag:"data"`
	MixRetention        time.Duration `koanf:"mixRetention" flag:"mix-retention" cmd:"serve"`
	IndividualRetention time.Duration `koanf:"individualRetention" flag:"individual-retention" cmd:"serve"`
}

// Downloads is how recordings are handed out.
type Downloads struct {
	Signed bool          `koanf:"signed" flag:"signed-downloads"`
	TTL    time.Duration `koanf:"ttl" flag:"download-ttl"`
}

// S3 keeps recordings in an S3-compatible bucket.
type S3 struct {
	Endpoint      string        `koanf:"endpoint" flag:"s3-endpoint"`
	Bucket        string        `koanf:"bucket" flag:"s3-bucket"`
	Region        string        `koanf:"region" flag:"s3-region"`
	Prefix        string        `koanf:"prefix" flag:"s3-prefix"`
	Insecure      bool          `koanf:"insecure" flag:"s3-insecure"`
	AccessKey     string        `koanf:"accessKey" secret:"true"`
	SecretKey     string        `koanf:"secretKey" secret:"true"`
	UploadBackoff time.Duration `koanf:"uploadBackoff"`
}

// Webhook announces recordings and sessions' states.
type Webhook struct {
	URL        string        `koanf:"url" flag:"webhook-url"`
	Secret     string        `koanf:"secret" secret:"true"`
	MaxEvents  int           `koanf:"maxEvents"`
	Timeout    time.Duration `koanf:"timeout"`
	MinBackoff time.Duration `koanf:"minBackoff"`
	MaxBackoff time.Duration `koanf:"maxBackoff"`
	MaxAge     time.Duration `koanf:"maxAge"`
}

// Rooms is the conference server: WHIP publishers, WHEP viewers, room recordings.
type Rooms struct {
	PageURL        string        `koanf:"pageUrl" flag:"room-url"`
	PublicIPs      []string      `koanf:"publicIps" flag:"public-ip"`
	TokenSecret    string        `koanf:"tokenSecret" secret:"true" env:"MEDIAPUSH_TOKEN_SECRET"`
	NoMediaTimeout time.Duration `koanf:"noMediaTimeout" flag:"room-no-media-timeout"`
	MaxPublishers  int           `koanf:"maxPublishers" flag:"max-room-publishers"`
	MaxViewers     int           `koanf:"maxViewers" flag:"max-viewers"`
	RawRecording   string        `koanf:"rawRecording"`
}

// Sessions bound a session's start and its media.
type Sessions struct {
	StartTimeout       time.Duration `koanf:"startTimeout" flag:"start-timeout"`
	StartSignalTimeout time.Duration `koanf:"startSignalTimeout" flag:"start-signal-timeout"`
	NoMediaTimeout     time.Duration `koanf:"noMediaTimeout" flag:"no-media-timeout"`
}

// Capture is how a session captures its page: the frames a second and the bitrates the
// browser encodes at.
type Capture struct {
	FrameRate    int     `koanf:"frameRate"`
	VideoBitrate AutoInt `koanf:"videoBitrate"`
	AudioBitrate int     `koanf:"audioBitrate"`
}

// HLS is how HLS recordings are cut.
type HLS struct {
	Segment time.Duration `koanf:"segment"`
}

// Browser is Chromium and how sessions share it.
type Browser struct {
	ChromiumPath       string   `koanf:"chromiumPath" flag:"chromium-path"`
	Switches           []string `koanf:"switches" flag:"chromium-switch" split:"space"`
	Sandbox            string   `koanf:"sandbox" flag:"chromium-sandbox"`
	Warm               int      `koanf:"warm" flag:"warm-browsers"`
	TabsPerBrowser     int      `koanf:"tabsPerBrowser" flag:"tabs-per-browser"`
	SessionsPerBrowser int      `koanf:"sessionsPerBrowser" flag:"sessions-per-browser"`
}

// Destinations says which internal addresses pages, pushes and the webhook may reach anyway.
type Destinations struct {
	Allow []string `koanf:"allow" flag:"allow-destination"`
}

// Limits bound what one node takes on; 0 turns a limit off.
type Limits struct {
	MaxSessions      AutoInt       `koanf:"maxSessions" flag:"max-sessions"`
	MaxSessionLength time.Duration `koanf:"maxSessionLength" flag:"max-session-length"`
	MaxRestarts      int           `koanf:"maxRestarts" flag:"max-restarts"`
	MaxPushes        int           `koanf:"maxPushes" flag:"max-pushes"`
	MinFreeDisk      ByteSize      `koanf:"minFreeDisk" flag:"min-free-disk"`
	CPUBudget        AutoFloat     `koanf:"cpuBudget" flag:"cpu-budget"`
	MemoryBudget     AutoSize      `koanf:"memoryBudget" flag:"memory-budget"`
	MinFPS           float64       `koanf:"minFps" flag:"min-fps"`
	MaxAVOffset      time.Duration `koanf:"maxAvOffset" flag:"max-av-offset"`
	DegradedAfter    time.Duration `koanf:"degradedAfter" flag:"degraded-after"`
}

// Quality is how finished recordings are measured and when one is suspect; 0 turns a check
// off.
type Quality struct {
	Off                  bool          `koanf:"off"`
	MaxBlack             time.Duration `koanf:"maxBlack"`
	MaxFrozen            time.Duration `koanf:"maxFrozen"`
	MaxSilence           time.Duration `koanf:"maxSilence"`
	MinFPSRatio          float64       `koanf:"minFpsRatio"`
	MaxAVOffset          time.Duration `koanf:"maxAvOffset"`
	MaxDurationShortfall time.Duration `koanf:"maxDurationShortfall"`
}

// Cluster places sessions on worker nodes over NATS.
type Cluster struct {
	NATSListen    string        `koanf:"natsListen" flag:"nats-listen" cmd:"serve"`
	NATS          string        `koanf:"nats" flag:"nats"`
	NodeID        string        `koanf:"nodeId" flag:"node-id"`
	LocalSessions bool          `koanf:"localSessions" flag:"local-sessions" cmd:"serve"`
	NodeTimeout   time.Duration `koanf:"nodeTimeout" flag:"node-timeout" cmd:"serve"`
	Token         string        `koanf:"token" secret:"true"`
}

// Worker is what only a worker node has.
type Worker struct {
	Streams       string        `koanf:"streams" flag:"streams"`
	Spool         string        `koanf:"spool" flag:"spool"`
	ControllerURL string        `koanf:"controllerUrl" flag:"controller-url"`
	DrainTimeout  time.Duration `koanf:"drainTimeout" flag:"drain-timeout"`
}

// Defaults is the configuration with nothing set. Where a package has a default of its own,
// this is it; mediapush.yml documents every value.
func Defaults() Config {
	return Config{
		Log: Log{Level: "info"},
		HTTP: HTTP{Addr: ":5080", ReadTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute,
			AllowedHosts: []string{}, AllowedOrigins: []string{}, ParticipantOrigins: []string{}},
		Storage: Storage{DataDir: "./data", MixRetention: controller.DefaultMixRetention,
			IndividualRetention: controller.DefaultIndividualRetention},
		Downloads: Downloads{TTL: controller.DefaultDownloadTTL},
		S3:        S3{UploadBackoff: storage.DefaultMinBackoff},
		Webhook: Webhook{MaxEvents: webhook.DefaultMaxEvents, Timeout: webhook.DefaultTimeout,
			MinBackoff: webhook.DefaultMinBackoff, MaxBackoff: webhook.DefaultMaxBackoff, MaxAge: webhook.DefaultMaxAge},
		Rooms: Rooms{PageURL: controller.DefaultRoomURL, PublicIPs: []string{}, NoMediaTimeout: rooms.DefaultNoMediaTimeout,
			MaxPublishers: rooms.DefaultMaxPublishers, MaxViewers: rooms.DefaultMaxViewers, RawRecording: string(raw.DefaultMode)},
		Sessions: Sessions{StartTimeout: worker.DefaultStartTimeout, StartSignalTimeout: worker.DefaultStartSignalTimeout,
			NoMediaTimeout: worker.DefaultNoMediaTimeout},
		Capture: Capture{FrameRate: worker.DefaultCaptureFPS, VideoBitrate: AutoInt{Auto: true}, AudioBitrate: ingest.DefaultOpusBitrate},
		HLS:     HLS{Segment: output.DefaultHLSSegment},
		Browser: Browser{Switches: []string{}, Sandbox: string(browser.SandboxAuto), Warm: browser.DefaultPoolSettings.Warm,
			TabsPerBrowser: browser.DefaultPoolSettings.TabsPerBrowser, SessionsPerBrowser: browser.DefaultPoolSettings.SessionsPerBrowser},
		Destinations: Destinations{Allow: []string{}},
		Limits: Limits{MaxSessions: AutoInt{Auto: true}, MaxSessionLength: worker.DefaultMaxSessionLength,
			MaxRestarts: worker.DefaultMaxRestarts, MaxPushes: worker.DefaultMaxPushes, MinFreeDisk: worker.DefaultMinFreeDisk,
			CPUBudget: AutoFloat{Auto: true}, MemoryBudget: AutoSize{Auto: true}, MinFPS: worker.DefaultMinFPS,
			MaxAVOffset: worker.DefaultMaxAVOffset, DegradedAfter: worker.DefaultDegradedAfter},
		Quality: Quality{MaxBlack: controller.DefaultMaxBlack, MaxFrozen: controller.DefaultMaxFrozen, MaxSilence: controller.DefaultMaxSilence,
			MinFPSRatio: controller.DefaultMinFPSRatio, MaxAVOffset: controller.DefaultMaxAVOffset,
			MaxDurationShortfall: controller.DefaultMaxDurationShortfall},
		Cluster: Cluster{LocalSessions: true, NodeTimeout: cluster.DefaultNodeTimeout},
		Worker:  Worker{DrainTimeout: time.Hour},
	}
}
