package main

import (
	"context"
	"os"
	"os/signal"
	"regexp"
	"syscall"
	"time"

	"mediapush/cluster"
	"mediapush/controller"
)

// workerNode runs a worker node: sessions for a controller elsewhere, taken over NATS. On
// SIGTERM it drains: it takes no new session and waits for its sessions to be stopped
// through the API, up to worker.drainTimeout (--drain-timeout), then stops the rest and exits.
func workerNode(args []string) error {
	settings, err := loadConfig("worker", args)
	if err != nil {
		return err
	}
	id := settings.Cluster.NodeID
	if id == "" {
		id = hostNodeID()
	}
	cfg, err := sessionConfig(settings)
	if err != nil {
		return err
	}
	log := cfg.Log.With().Str("node", id).Logger()
	cfg.Log = log
	w, token := settings.Worker, settings.Cluster.Token
	conn, err := cluster.Connect(settings.Cluster.NATS, token, "mediapush-worker-"+id, log)
	if err != nil {
		return err
	}
	defer conn.Close()
	node, err := controller.OpenWorkerNode(controller.WorkerNodeConfig{Config: cfg, Conn: conn, NodeID: id, StreamsDir: w.Streams, SpoolRoot: w.Spool,
		ControllerURL: w.ControllerURL, Token: token})
	if err != nil {
		return err
	}
	log.Info().Str("data", settings.Storage.DataDir).Str("streams", w.Streams).Msg("mediapush worker node serving")

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	sig := <-sigs
	log.Info().Str("signal", sig.String()).Dur("drainTimeout", w.DrainTimeout).Msg("draining")
	// A second signal cuts the drain short.
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		select {
		case <-sigs:
			cancel()
		case <-ctx.Done():
		}
	}()
	if !node.Drain(ctx, w.DrainTimeout) {
		log.Warn().Msg("sessions still running after the drain: stopping them, their recordings finished")
	}
	cancel()
	closeCtx, done := context.WithTimeout(context.Background(), 10*time.Minute)
	defer done()
	err = node.Close(closeCtx)
	log.Info().Msg("mediapush worker node stopped")
	return err
}

var notInNodeID = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// hostNodeID is the host name as a node id.
func hostNodeID() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "worker"
	}
	h = notInNodeID.ReplaceAllString(h, "-")
	if len(h) > 64 {
		h = h[:64]
	}
	return h
}
