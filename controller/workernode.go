package controller

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go"

	"mediapush/cluster"
	"mediapush/rooms"
	"mediapush/worker"
)

// WorkerNodeConfig configures a worker node: Config's data directory, timeouts, Chromium,
// browser pool, limits and destinations, and where it joins the cluster.
type WorkerNodeConfig struct {
	Config
	Conn   *nats.Conn
	NodeID string
	// StreamsDir is where finished recordings go: a directory the controller shares (its
	// DATA/streams). Default DataDir/streams.
	StreamsDir string
	// SpoolRoot is the controller's spool directory, shared like StreamsDir: the node copies
	// each recording in progress into SpoolRoot/NodeID as it grows, so the controller can
	// rebuild it if this node is lost. Default: beside the streams directory, "spool".
	SpoolRoot string
	// ControllerURL is where the controller's HTTP server is reached from this node
	// (http://host:port). When set, the live stream of each session is sent there (WHIP,
	// authenticated by Token) so that viewers watch it through the controller; without it
	// the node's sessions cannot be watched live.
	ControllerURL string
	// Token is the cluster's shared token (cluster.TokenEnv); ControllerURL needs it.
	Token string
}

// nodeSpoolDir is where node copies its recordings in progress under root.
func nodeSpoolDir(root, node string) string { return filepath.Join(root, node) }

// continuedDir is where, under root, the recordings of lost nodes' sessions are rebuilt for
// the nodes that take them over; no node id starts with a dot.
func continuedDir(root string) string { return filepath.Join(root, ".continued") }

func (cfg WorkerNodeConfig) spoolRoot() string {
	if cfg.SpoolRoot != "" {
		return cfg.SpoolRoot
	}
	streams := cfg.StreamsDir
	if streams == "" {
		streams = filepath.Join(cfg.DataDir, "streams")
	}
	return filepath.Join(filepath.Dir(streams), "spool")
}

// WorkerNode runs sessions for a controller on another process or machine (mediapush
// worker): its own ingest, destination proxy, browsers and worker, served over NATS. Its
// conference server serves no one directly: it holds the sessions' live streams, which go on
// to the controller (ControllerURL) and to the sessions' WHIP endpoints.
type WorkerNode struct {
	host *workerHost
	hub  *rooms.Hub
	node *cluster.Node
}

// OpenWorkerNode starts a worker node. Recordings a previous process left unfinished are
// saved and announced as their sessions' FAILED events.
func OpenWorkerNode(cfg WorkerNodeConfig) (*WorkerNode, error) {
	if err := checkLiveForward(cfg.ControllerURL, cfg.Token); err != nil {
		return nil, err
	}
	if cfg.ControllerURL == "" {
		cfg.Log.Info().Msg("no --controller-url: the sessions of this node cannot be watched live through the controller")
	}
	policy, err := openPolicy(cfg.Config)
	if err != nil {
		return nil, err
	}
	roomsCfg := cfg.Rooms
	roomsCfg.Dial, roomsCfg.Log = policy.DialContext, cfg.Log
	hub, err := rooms.New(roomsCfg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	node, err := cluster.NewNode(ctx, cluster.NodeConfig{ID: cfg.NodeID, Conn: cfg.Conn, Check: CheckJob, Log: cfg.Log})
	if err != nil {
		hub.Close()
		return nil, err
	}
	host, err := openWorkerHost(cfg.Config, hostConfig{policy: policy, hub: hub, forward: liveForward(hub, cfg.NodeID, cfg.ControllerURL, cfg.Token), onEvent: node.OnEvent, onDegraded: node.OnDegraded,
		streamsDir: cfg.StreamsDir, spoolDir: nodeSpoolDir(cfg.spoolRoot(), cfg.NodeID), continuedDir: continuedDir(cfg.spoolRoot())})
	if err != nil {
		node.Close(ctx) //nolint:errcheck // it published nothing
		hub.Close()
		return nil, err
	}
	recs, err := host.worker.Recover(ctx)
	if err != nil {
		cfg.Log.Error().Err(err).Msg("some interrupted recordings could not be saved; they stay in the recording directory")
	}
	for _, r := range recs {
		node.OnEvent(worker.Event{StreamID: r.StreamID, State: worker.Failed, At: time.Now(),
			Reason: "the worker node stopped while the session was running", Recordings: []worker.Recording{r}})
	}
	if err := node.Serve(host.worker); err != nil {
		host.close(ctx) //nolint:errcheck // nothing runs yet
		node.Close(ctx) //nolint:errcheck // best effort
		hub.Close()
		return nil, fmt.Errorf("serving on NATS: %w", err)
	}
	return &WorkerNode{host: host, hub: hub, node: node}, nil
}

// Drain refuses new starts, says so in the node's status and waits up to timeout for the
// running sessions to be stopped through the API; it reports whether they all were.
func (w *WorkerNode) Drain(ctx context.Context, timeout time.Duration) bool {
	return w.node.Drain(ctx, timeout)
}

// Close stops the sessions still running (their recordings finished whole), sends their
// events, and closes the browsers, the proxy and the ingest.
func (w *WorkerNode) Close(ctx context.Context) error {
	err := errors.Join(w.host.close(ctx), w.node.Close(ctx))
	w.hub.Close()
	return err
}
