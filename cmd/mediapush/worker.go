package main

import (
	"context"
	"errors"
	"flag"
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
// through the API, up to --drain-timeout, then stops the rest and exits.
func workerNode(args []string) error {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	sf := declareSessionFlags(fs)
	lim := sessionLimitFlags(fs)
	natsURL := fs.String("nats", "", "the cluster's NATS URL, e.g. nats://10.0.0.5:4222 (token: "+cluster.TokenEnv+")")
	nodeID := fs.String("node-id", "", "this node's id: letters, digits, '-' and '_' (default: the host name)")
	streams := fs.String("streams", "", "where finished recordings go: the controller's streams directory, shared (default: DATA/streams)")
	spool := fs.String("spool", "", "where recordings in progress are copied as they grow, shared with the controller (its DATA/spool), so that a lost node loses at most 2s of them (default: the directory \"spool\" beside --streams)")
	controllerURL := fs.String("controller-url", "", "the controller's HTTP address as this node reaches it, e.g. http://10.0.0.5:5080: "+
		"the live stream of each session goes there, to be watched through the controller (WHEP); needs "+cluster.TokenEnv)
	drainTimeout := fs.Duration("drain-timeout", time.Hour, "on SIGTERM, how long to wait for running sessions to be stopped before stopping them")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *natsURL == "" {
		return errors.New("--nats is required: the URL of the NATS server the controller uses")
	}
	if *drainTimeout <= 0 {
		return errors.New("--drain-timeout must be positive")
	}
	id := *nodeID
	if id == "" {
		id = hostNodeID()
	}
	if err := cluster.ValidNodeID(id); err != nil {
		return errors.New("--node-id: " + err.Error())
	}
	cfg, err := sf.config(lim)
	if err != nil {
		return err
	}
	log := cfg.Log.With().Str("node", id).Logger()
	cfg.Log = log
	// From the environment only: a flag's value shows in ps, a URL's in logs.
	token := os.Getenv(cluster.TokenEnv)
	conn, err := cluster.Connect(*natsURL, token, "mediapush-worker-"+id, log)
	if err != nil {
		return err
	}
	defer conn.Close()
	node, err := controller.OpenWorkerNode(controller.WorkerNodeConfig{Config: cfg, Conn: conn, NodeID: id, StreamsDir: *streams, SpoolRoot: *spool,
		ControllerURL: *controllerURL, Token: token})
	if err != nil {
		return err
	}
	log.Info().Str("data", *sf.data).Str("streams", *streams).Msg("mediapush worker node serving")

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	sig := <-sigs
	log.Info().Str("signal", sig.String()).Dur("drainTimeout", *drainTimeout).Msg("draining")
	// A second signal cuts the drain short.
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		select {
		case <-sigs:
			cancel()
		case <-ctx.Done():
		}
	}()
	if !node.Drain(ctx, *drainTimeout) {
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
