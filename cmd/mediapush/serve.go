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
	data := fs.String("data", "./data", "directory for recordings, the catalog and temporary files")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	startTimeout := fs.Duration("start-timeout", 30*time.Second, "longest a start call may take (page load to first frame)")
	signalTimeout := fs.Duration("start-signal-timeout", 30*time.Second, "longest wait for a page's start signal (awaitStartSignal)")
	publicIPs := fs.String("public-ip", "", "comma-separated addresses announced to WebRTC peers, for a server behind 1:1 NAT")
	roomURL := fs.String("room-url", controller.DefaultRoomURL, "page a room recording loads ({base} {app} {roomId} {token} {layout})")
	baseURL := fs.String("base-url", "", "how this server's browsers reach its pages, the {base} of --room-url (default: the address each request came in on)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	// The token secret comes from the environment: a command line is visible to every user.
	secret := os.Getenv("MEDIAPUSH_TOKEN_SECRET")
	if secret != "" && len(secret) < 32 {
		return errors.New("MEDIAPUSH_TOKEN_SECRET must be at least 32 characters")
	}
	log, err := newLogger(*level)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*data, 0o750); err != nil {
		return err
	}
	cfg := controller.Config{DataDir: *data, StartTimeout: *startTimeout, StartSignalTimeout: *signalTimeout,
		RoomURL: *roomURL, BaseURL: *baseURL, Log: log}
	cfg.Rooms.TokenSecret = []byte(secret)
	if *publicIPs != "" {
		for _, ip := range strings.Split(*publicIPs, ",") {
			if net.ParseIP(strings.TrimSpace(ip)) == nil {
				return fmt.Errorf("--public-ip: %q is not an IP address", ip)
			}
			cfg.Rooms.PublicIPs = append(cfg.Rooms.PublicIPs, strings.TrimSpace(ip))
		}
	}
	c, err := controller.Open(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		c.Close(context.Background())
		return err
	}
	srv := &http.Server{Handler: c.Handler(), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info().Str("addr", ln.Addr().String()).Str("data", *data).Bool("tokens", secret != "").Msg("mediapush serving")

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	select {
	case sig := <-stop:
		log.Info().Str("signal", sig.String()).Msg("stopping: finishing every session")
	case err := <-served:
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
	log.Info().Msg("mediapush stopped")
	return err
}
