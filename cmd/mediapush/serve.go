package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"mediapush/controller"
)

// serve runs the service until SIGTERM or SIGINT, then stops every session cleanly: each
// recording is finished and listed before the process exits.
func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", ":5080", "address of the HTTP API")
	metricsAddr := fs.String("metrics-addr", "", "also serve /metrics without credentials on this address, e.g. 127.0.0.1:9090 "+
		"(the API's /metrics needs the control API's access)")
	sf := declareSessionFlags(fs)
	cf := declareClusterFlags(fs)
	publicIPs := fs.String("public-ip", "", "comma-separated addresses announced to WebRTC peers, for a server behind 1:1 NAT")
	roomURL := fs.String("room-url", controller.DefaultRoomURL, "page a room recording loads ({base} {app} {roomId} {token} {layout})")
	baseURL := fs.String("base-url", "", "how this server's browsers reach its pages, the {base} of --room-url (default: the address each request came in on)")
	publicURL := fs.String("public-url", "", "how clients reach this server, the start of download URLs (default: relative URLs)")
	signed := fs.Bool("signed-downloads", false, "serve recordings only through signed, expiring URLs")
	ttl := fs.Duration("download-ttl", controller.DefaultDownloadTTL, "how long a signed download URL works")
	s3Endpoint := fs.String("s3-endpoint", "", "S3-compatible endpoint host:port; recordings are uploaded there (keys: MEDIAPUSH_S3_ACCESS_KEY, MEDIAPUSH_S3_SECRET_KEY)")
	s3Bucket := fs.String("s3-bucket", "", "S3 bucket")
	s3Region := fs.String("s3-region", "", "S3 region")
	s3Prefix := fs.String("s3-prefix", "", "key prefix in the bucket")
	s3Plain := fs.Bool("s3-insecure", false, "talk to the S3 endpoint over plain HTTP")
	hookURL := fs.String("webhook-url", "", "receiver of Recordings.Available and Session.State events (secret: MEDIAPUSH_WEBHOOK_SECRET)")
	mixAge := fs.Duration("mix-retention", 180*24*time.Hour, "delete recordings older than this; negative keeps them")
	var allowedHosts, allowedOrigins, participantOrigins listFlag
	fs.Var(&participantOrigins, "participant-origin", "web origin (https://app.example.com) whose pages may publish and play from a browser (WHIP/WHEP, the JS SDK's WebSocket); "+
		"repeatable or comma-separated (default: any origin; the requests carry their own stream tokens, not cookies)")
	fs.Var(&allowedHosts, "allowed-host", "host name this server answers to besides IP addresses, localhost and the --public-url/--base-url hosts; repeatable or comma-separated")
	fs.Var(&allowedOrigins, "allowed-origin", "web origin (https://app.example.com) whose pages may call the control API from a browser; repeatable or comma-separated")
	legAge := fs.Duration("individual-retention", 15*24*time.Hour, "delete individual participant audio older than this; negative keeps it")
	lim := limitFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := sf.config(lim)
	if err != nil {
		return err
	}
	log, data := cfg.Log, *sf.data
	// The token secret comes from the environment: a command line is visible to every user.
	secret := os.Getenv("MEDIAPUSH_TOKEN_SECRET")
	if secret != "" && len(secret) < 32 {
		return errors.New("MEDIAPUSH_TOKEN_SECRET must be at least 32 characters")
	}
	cfg.RoomURL, cfg.BaseURL, cfg.PublicURL, cfg.SignedDownloads = *roomURL, *baseURL, strings.TrimSuffix(*publicURL, "/"), *signed
	cfg.DownloadTTL, cfg.MixRetention, cfg.IndividualRetention = *ttl, *mixAge, *legAge
	cfg.APIToken, cfg.RESTJWTSecret = os.Getenv("MEDIAPUSH_API_TOKEN"), []byte(os.Getenv("MEDIAPUSH_REST_JWT_SECRET"))
	cfg.AllowedHosts, cfg.AllowedOrigins, cfg.ParticipantOrigins = allowedHosts, allowedOrigins, participantOrigins
	cfg.Rooms.TokenSecret = []byte(secret)
	cfg.Rooms.MaxPublishers, cfg.Rooms.MaxViewers = offIfZero(*lim.publishers), offIfZero(*lim.viewers)
	cfg.Webhook.MaxEvents = offIfZero(*lim.webhookEvents)
	if *s3Endpoint != "" || *s3Bucket != "" {
		if *s3Endpoint == "" || *s3Bucket == "" {
			return errors.New("--s3-endpoint and --s3-bucket go together")
		}
		cfg.S3.Endpoint, cfg.S3.Bucket, cfg.S3.Region, cfg.S3.Prefix, cfg.S3.Secure = *s3Endpoint, *s3Bucket, *s3Region, *s3Prefix, !*s3Plain
		cfg.S3.AccessKey, cfg.S3.SecretKey = os.Getenv("MEDIAPUSH_S3_ACCESS_KEY"), os.Getenv("MEDIAPUSH_S3_SECRET_KEY")
	}
	if *hookURL != "" {
		cfg.Webhook.URL, cfg.Webhook.Secret = *hookURL, []byte(os.Getenv("MEDIAPUSH_WEBHOOK_SECRET"))
	}
	if *publicIPs != "" {
		for _, ip := range strings.Split(*publicIPs, ",") {
			if net.ParseIP(strings.TrimSpace(ip)) == nil {
				return fmt.Errorf("--public-ip: %q is not an IP address", ip)
			}
			cfg.Rooms.PublicIPs = append(cfg.Rooms.PublicIPs, strings.TrimSpace(ip))
		}
	}
	cl, err := cf.open(data, log)
	if err != nil {
		return err
	}
	defer cl.close()
	cfg.Cluster = cl.config
	c, err := controller.Open(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		c.Close(context.Background())
		return err
	}
	srv := lim.server(c.Handler())
	served := make(chan error, 2)
	go func() { served <- srv.Serve(ln) }()
	var metricsSrv *http.Server
	if *metricsAddr != "" {
		mln, err := net.Listen("tcp", *metricsAddr)
		if err != nil {
			srv.Close()
			c.Close(context.Background())
			return fmt.Errorf("--metrics-addr: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", c.MetricsHandler())
		metricsSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second}
		go func() { served <- metricsSrv.Serve(mln) }()
		log.Info().Str("addr", mln.Addr().String()).Msg("metrics serving, without credentials")
	}
	control := "callers on this machine only (set MEDIAPUSH_API_TOKEN to open it to others)"
	if cfg.APIToken != "" || len(cfg.RESTJWTSecret) > 0 {
		control = "callers with the API token"
	}
	log.Info().Str("addr", ln.Addr().String()).Str("data", data).Bool("streamTokens", secret != "").Str("cluster", cl.describe()).
		Str("controlAPI", control).Msg("mediapush serving")

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	select {
	case sig := <-stop:
		log.Info().Str("signal", sig.String()).Msg("stopping: finishing every session")
	case err := <-served:
		srv.Close()
		if metricsSrv != nil {
			metricsSrv.Close()
		}
		c.Close(context.Background())
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// Sessions first: a stop call in flight must get its answer before the listener goes.
	err = c.Close(ctx)
	if serr := srv.Shutdown(ctx); serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	if metricsSrv != nil {
		metricsSrv.Close() //nolint:errcheck // nothing is left to serve
	}
	log.Info().Msg("mediapush stopped")
	return err
}

// listFlag collects a flag given several times, each a comma-separated list.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			*l = append(*l, item)
		}
	}
	return nil
}
