package controller

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	"mediapush/ingest"
	"mediapush/internal/destination"
	"mediapush/rooms"
	"mediapush/worker"
)

// workerHost is what runs sessions in a process: the ingest the browsers send to, the proxy
// that holds them to the destination policy, and the worker. A controller opens one for its
// own sessions; a worker node (mediapush worker) opens one and nothing else.
type workerHost struct {
	ingest *ingest.Server
	proxy  *destination.Proxy
	worker *worker.Worker
}

// hostConfig is what a workerHost takes besides Config.
type hostConfig struct {
	policy *destination.Policy
	// hub makes sessions live streams, watched here on the controller's node, relayed to the
	// controller from a worker node.
	hub *rooms.Hub
	// forward sends a session's live stream on to the controller (a worker node's); nil
	// when its sessions are not watched through another process.
	forward    func(streamID string) (*rooms.Push, error)
	onEvent    func(worker.Event)
	onDegraded func(worker.Degradation)
	// streamsDir is where finished files go; "" is DataDir/streams.
	streamsDir string
	// spoolDir, when set, is where recordings in progress are copied as they grow (see
	// worker.Config.SpoolDir).
	spoolDir string
	// continuedDir is where the recordings of lost nodes' sessions are rebuilt for the node
	// that takes them over (worker.Config.ContinuedDir).
	continuedDir string
}

func openWorkerHost(cfg Config, hc hostConfig) (*workerHost, error) {
	h := &workerHost{}
	var err error
	if h.ingest, err = ingest.Listen(cfg.Log); err != nil {
		return nil, err
	}
	// The capture extension posts its offer to the ingest through the proxy.
	if ap, err := netip.ParseAddrPort(urlHostPort(h.ingest.URL("x"))); err == nil {
		hc.policy.AllowSelf(ap)
	}
	if h.proxy, err = hc.policy.ListenProxy(cfg.Log); err != nil {
		h.ingest.Close()
		return nil, fmt.Errorf("destination proxy: %w", err)
	}
	h.worker, err = worker.New(worker.Config{
		DataDir: cfg.DataDir, StreamsDir: hc.streamsDir, SpoolDir: hc.spoolDir, ContinuedDir: hc.continuedDir, Ingest: h.ingest, Hub: hc.hub, Forward: hc.forward, OnEvent: hc.onEvent, OnDegraded: hc.onDegraded,
		StartTimeout: cfg.StartTimeout, NoMediaTimeout: cfg.NoMediaTimeout, StartSignalTimeout: cfg.StartSignalTimeout,
		ChromiumPath: cfg.ChromiumPath, ChromiumSwitches: cfg.ChromiumSwitches, ChromiumSandbox: cfg.ChromiumSandbox,
		Browsers: cfg.Browsers, Capture: cfg.Capture, Proxy: h.proxy.Addr(), Log: cfg.Log,
		Limits: cfg.Limits,
	})
	if err != nil {
		h.proxy.Close()
		h.ingest.Close()
		return nil, err
	}
	return h, nil
}

// close stops every session (finishing its recording), then the proxy and the ingest.
func (h *workerHost) close(ctx context.Context) error {
	var errs []error
	if err := h.worker.Close(ctx); err != nil {
		errs = append(errs, fmt.Errorf("stopping sessions: %w", err))
	}
	errs = append(errs, h.proxy.Close(), h.ingest.Close())
	return errors.Join(errs...)
}
