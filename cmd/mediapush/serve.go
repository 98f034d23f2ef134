package main

import (
	"context"
	"errors"
	"flag"
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
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", ":5080", "address of the HTTP API")
	data := fs.String("data", "./data", "directory for recordings, the catalog and temporary files")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	startTimeout := fs.Duration("start-timeout", 30*time.Second, "longest a start call may take (page load to first frame)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log, err := newLogger(*level)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*data, 0o750); err != nil {
		return err
	}
	c, err := controller.Open(controller.Config{DataDir: *data, StartTimeout: *startTimeout, Log: log})
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
	log.Info().Str("addr", ln.Addr().String()).Str("data", *data).Msg("mediapush serving")

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
