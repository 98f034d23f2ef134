package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"mediapush/controller"
)

// serve runs the service until SIGTERM or SIGINT, then stops every session cleanly: each
// recording is finished and listed before the process exits.
func serve(args []string) error {
	settings, err := loadConfig("serve", args)
	if err != nil {
		return err
	}
	cfg, err := serveConfig(settings)
	if err != nil {
		return err
	}
	log, data := cfg.Log, settings.Storage.DataDir
	cl, err := openCluster(settings.Cluster, data, log)
	if err != nil {
		return err
	}
	defer cl.close()
	cfg.Cluster = cl.config
	c, err := controller.Open(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", settings.HTTP.Addr)
	if err != nil {
		c.Close(context.Background())
		return err
	}
	srv := server(settings.HTTP, c.Handler())
	served := make(chan error, 2)
	go func() { served <- srv.Serve(ln) }()
	var metricsSrv *http.Server
	if settings.HTTP.MetricsAddr != "" {
		mln, err := net.Listen("tcp", settings.HTTP.MetricsAddr)
		if err != nil {
			srv.Close()
			c.Close(context.Background())
			return fmt.Errorf("http.metricsAddr: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", c.MetricsHandler())
		metricsSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second}
		go func() { served <- metricsSrv.Serve(mln) }()
		log.Info().Str("addr", mln.Addr().String()).Msg("metrics serving, without credentials")
	}
	control := "callers on this machine only (set MEDIAPUSH_API_TOKEN, api.token, to open it to others)"
	if cfg.APIToken != "" || len(cfg.RESTJWTSecret) > 0 {
		control = "callers with the API token"
	}
	log.Info().Str("addr", ln.Addr().String()).Str("data", data).Bool("streamTokens", len(cfg.Rooms.TokenSecret) > 0).Str("cluster", cl.describe()).
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
