package controller

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/nats-io/nats.go"

	"mediapush/cluster"
	"mediapush/worker"
)

// ClusterConfig runs the controller's sessions on worker nodes (mediapush worker) reached
// over NATS. Without a Conn the controller runs every session in its own process.
type ClusterConfig struct {
	// Conn is the NATS connection (JetStream enabled).
	Conn *nats.Conn
	// NodeID is the controller's own worker node's id. Default "controller".
	NodeID string
	// NoLocalSessions runs no worker in the controller's process: every session goes to
	// another node.
	NoLocalSessions bool
	// NodeTimeout: a node not heard from for this long is lost. Default
	// cluster.DefaultNodeTimeout.
	NodeTimeout time.Duration
	// Token is the cluster's shared token (cluster.TokenEnv): worker nodes present it to send
	// the live streams of their sessions here. Without it they cannot.
	Token string
}

func (cc ClusterConfig) nodeTimeout() time.Duration {
	if cc.NodeTimeout > 0 {
		return cc.NodeTimeout
	}
	return cluster.DefaultNodeTimeout
}

// openRunner opens what runs the sessions: the in-process worker (the default), or in
// cluster mode the dispatcher and, unless turned off, a worker node of this process's own.
func (c *Controller) openRunner(cfg Config) error {
	hc := hostConfig{policy: c.policy, hub: c.hub, onEvent: c.svc.OnEvent, onDegraded: c.svc.OnDegraded}
	if cfg.Cluster.Conn == nil {
		h, err := openWorkerHost(cfg, hc)
		if err != nil {
			return err
		}
		c.host, c.svc.runner = h, h.worker
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	spool := filepath.Join(cfg.DataDir, "spool")
	if err := os.MkdirAll(continuedDir(spool), 0o750); err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	hc.continuedDir = continuedDir(spool)
	d, err := cluster.NewDispatcher(ctx, cluster.DispatcherConfig{Conn: cfg.Cluster.Conn, NodeTimeout: cfg.Cluster.NodeTimeout,
		OnEvent: func(_ string, ev worker.Event) { c.svc.OnEvent(ev) }, OnStray: c.svc.onStray, OnDegraded: c.svc.OnDegraded, Failover: true,
		Salvage: func(node, streamID string) []string { return c.salvage(spool, node, streamID) },
		Abandon: func(ctx context.Context, parts []string) []worker.Recording { return c.abandon(ctx, spool, parts) },
		Log:     cfg.Log})
	if err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	c.dispatcher, c.svc.runner, c.svc.nodeOf = d, d, d.NodeOf
	if cfg.Cluster.NoLocalSessions {
		return nil
	}
	id := cfg.Cluster.NodeID
	if id == "" {
		id = "controller"
	}
	node, err := cluster.NewNode(ctx, cluster.NodeConfig{ID: id, Conn: cfg.Cluster.Conn, Check: CheckJob, Log: cfg.Log})
	if err != nil {
		d.Close()
		return fmt.Errorf("cluster: %w", err)
	}
	hc.onEvent, hc.onDegraded = node.OnEvent, node.OnDegraded
	h, err := openWorkerHost(cfg, hc)
	if err != nil {
		node.Close(ctx) //nolint:errcheck // it published nothing
		d.Close()
		return err
	}
	if err := node.Serve(h.worker); err != nil {
		h.close(ctx)    //nolint:errcheck // nothing runs yet
		node.Close(ctx) //nolint:errcheck // it published nothing
		d.Close()
		return err
	}
	c.host, c.node = h, node
	return nil
}

// salvage rebuilds what the lost node had copied to the spool of the recording of streamID,
// for the node that takes the session over.
func (c *Controller) salvage(spool, node, streamID string) []string {
	parts, err := worker.RebuildSpooled(nodeSpoolDir(spool, node), continuedDir(spool), []string{streamID})
	if err != nil {
		c.log.Error().Err(err).Str("node", node).Str("streamId", streamID).Msg("rebuilding what a lost node recorded")
	}
	c.log.Info().Str("node", node).Str("streamId", streamID).Strs("parts", parts[streamID]).Msg("recording of a lost node rebuilt from its spool")
	return parts[streamID]
}

// abandon finishes the salvaged parts of a session no node could take over, as recordings.
func (c *Controller) abandon(ctx context.Context, spool string, parts []string) []worker.Recording {
	recs, err := worker.FinishContinued(ctx, continuedDir(spool), c.svc.streamsDir, parts)
	if err != nil {
		c.log.Error().Err(err).Msg("finishing what a lost node recorded; the rest stays in the spool")
	}
	return recs
}

// closeRunner stops this process's sessions, finishing their recordings, and in cluster mode
// sends and applies their last events. Sessions on other nodes run on.
func (c *Controller) closeRunner(ctx context.Context) error {
	var errs []error
	if c.host != nil {
		errs = append(errs, c.host.close(ctx))
	}
	if c.node != nil {
		errs = append(errs, c.node.Close(ctx))
	}
	if c.dispatcher != nil {
		if c.node != nil {
			errs = append(errs, c.dispatcher.Settle(ctx))
		}
		c.dispatcher.Close()
	}
	return errors.Join(errs...)
}

// failLost fails the unfinished sessions of a previous process that no live node runs, once
// every live node has had a node timeout to be heard from.
func (c *Controller) failLost(timeout time.Duration) {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	select {
	case <-time.After(timeout):
	case <-c.closing:
		return
	}
	ids, err := c.cat.FailUnfinishedExcept(ctx, interrupted, time.Now().UnixMilli(), c.dispatcher.Running())
	c.logInterrupted(ids, err)
}

// loadSource is what the metrics and readiness read: this process's worker, or none.
func (c *Controller) loadSource() loadSource {
	if c.host != nil {
		return c.host.worker
	}
	return noLoad{}
}

// noLoad is the load of a controller that runs no session itself.
type noLoad struct{}

func (noLoad) Load() worker.LoadReport { return worker.LoadReport{PoolBrowsers: -1} }

// Nodes lists the worker nodes: in cluster mode every node heard from, else this process's
// own worker as the one node.
func (c *Controller) Nodes() []cluster.NodeInfo {
	if c.dispatcher != nil {
		return c.dispatcher.Nodes()
	}
	r := c.host.worker.Load()
	info := cluster.NodeInfo{ID: "local", Budget: r.Budget, MaxSessions: max(c.host.worker.MaxSessions(), 0), Load: r,
		Sessions: []string{}, Live: true, LastSeen: time.Now().UTC()}
	for _, s := range r.Sessions {
		info.Sessions = append(info.Sessions, s.StreamID)
	}
	return []cluster.NodeInfo{info}
}

// listNodes answers GET /api/v1/nodes: each worker node's budget, load, sessions, whether it
// drains and when it was last heard from.
func (c *Controller) listNodes(ctx echo.Context) error {
	return ctx.JSON(http.StatusOK, c.Nodes())
}

// onStray keeps the recordings of a session moved off a lost node that its old node still
// reports; the session's state is its new node's.
func (s *Service) onStray(node string, ev worker.Event) {
	for _, rec := range ev.Recordings {
		s.addVoD(context.Background(), rec)
	}
}
