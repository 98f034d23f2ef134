package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"mediapush/recorder"
	"mediapush/worker"
)

// DefaultNodeTimeout is how long a node may go unheard before it is taken as lost.
const DefaultNodeTimeout = 3 * time.Second

// DispatcherConfig configures a Dispatcher.
type DispatcherConfig struct {
	Conn *nats.Conn
	// OnEvent applies a session's event (Service.OnEvent), once each, in order per session.
	OnEvent func(node string, ev worker.Event)
	// NodeTimeout: a node not heard from for this long is lost. Default DefaultNodeTimeout.
	NodeTimeout time.Duration
	// StartTimeout bounds a start call (the node's own start timeout and the wait for a
	// browser). Default 2 minutes.
	StartTimeout time.Duration
	// CallTimeout bounds every other call; a stop finishing a long recording takes a while.
	// Default 10 minutes.
	CallTimeout time.Duration
	// OnDegraded receives the nodes' quality reports (Service.OnDegraded). Default: dropped.
	OnDegraded func(worker.Degradation)
	// Failover starts the sessions of a lost node again on other nodes (see failover).
	Failover bool
	// Salvage, when set, gives what a lost node had recorded of a session, as the names of
	// parts for the node that takes it over (Job.Continues): see worker.RebuildSpooled.
	Salvage func(node, streamID string) []string
	// Abandon, when set, finishes salvaged parts that no node could take over, as recordings
	// of their own: see worker.FinishContinued.
	Abandon func(ctx context.Context, parts []string) []worker.Recording
	// OnStray receives the events of a session moved off a lost node that its old node still
	// sends (its final event, recordings saved after a crash): their recordings count, their
	// states do not. Default: dropped.
	OnStray func(node string, ev worker.Event)
	// Now is the clock of the heartbeats; default time.Now.
	Now func() time.Time
	Log zerolog.Logger
}

// Dispatcher is the controller's Runner in cluster mode: it places each start on a worker
// node, sends later calls to the node running the stream, and applies the nodes' events.
type Dispatcher struct {
	cfg     DispatcherConfig
	nc      *nats.Conn
	log     zerolog.Logger
	nodes   *nodeTable
	streams *streamTable
	applied *applied
	js      jetstream.JetStream
	cons    jetstream.Consumer

	failover *failover

	statusSub   *nats.Subscription
	qualitySub  *nats.Subscription
	begin       sync.Once
	runCtx      context.Context
	stop        context.CancelFunc
	consumeDone chan struct{}
	watchDone   chan struct{}
}

// NewDispatcher listens to the nodes' heartbeats and starts applying their events.
func NewDispatcher(ctx context.Context, cfg DispatcherConfig) (*Dispatcher, error) {
	if cfg.NodeTimeout <= 0 {
		cfg.NodeTimeout = DefaultNodeTimeout
	}
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = 2 * time.Minute
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = 10 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.OnDegraded == nil {
		cfg.OnDegraded = func(worker.Degradation) {}
	}
	if cfg.OnStray == nil {
		cfg.OnStray = func(string, worker.Event) {}
	}
	js, err := jetstream.New(cfg.Conn)
	if err != nil {
		return nil, err
	}
	if err := ensureEvents(ctx, js); err != nil {
		return nil, err
	}
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: AppliedBucket, TTL: 7 * 24 * time.Hour,
		Storage: jetstream.FileStorage})
	if err != nil {
		return nil, fmt.Errorf("JetStream bucket %s: %w", AppliedBucket, err)
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, EventStream, jetstream.ConsumerConfig{
		Durable: EventConsumer, AckPolicy: jetstream.AckExplicitPolicy, DeliverPolicy: jetstream.DeliverAllPolicy,
		// One at a time: events are applied in the order they were published. An ack lost to
		// a NATS restart holds the next events back for AckWait, until the event comes again.
		MaxAckPending: 1, AckWait: 5 * time.Second,
	})
	if err != nil {
		return nil, fmt.Errorf("JetStream consumer %s: %w", EventConsumer, err)
	}
	d := &Dispatcher{cfg: cfg, nc: cfg.Conn, log: cfg.Log, nodes: newNodeTable(cfg.NodeTimeout, cfg.Now),
		streams: newStreamTable(), applied: newApplied(kv, cfg.Now), js: js, cons: cons, consumeDone: make(chan struct{}),
		failover: newFailover(), watchDone: make(chan struct{})}
	d.statusSub, err = cfg.Conn.Subscribe(StatusSubject, d.onStatus)
	if err != nil {
		return nil, err
	}
	if d.qualitySub, err = cfg.Conn.Subscribe(qualitySubjects, d.onQuality); err != nil {
		d.statusSub.Unsubscribe() //nolint:errcheck // failing already
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	d.runCtx, d.stop = ctx, cancel
	return d, nil
}

// Begin starts applying the nodes' events (and moving the sessions of lost nodes): once the
// caller is ready for OnEvent. Until then events wait in their stream.
func (d *Dispatcher) Begin() {
	d.begin.Do(func() {
		go d.consume(d.runCtx, d.cons)
		if d.cfg.Failover {
			go d.watchNodes(d.runCtx, max(d.cfg.NodeTimeout/4, 50*time.Millisecond))
		} else {
			close(d.watchDone)
		}
	})
}

func (d *Dispatcher) onStatus(m *nats.Msg) {
	var st Status
	if err := json.Unmarshal(m.Data, &st); err != nil || ValidNodeID(st.Node) != nil {
		d.log.Warn().Err(err).Msg("a node status that cannot be read: ignored")
		return
	}
	d.nodes.update(st)
}

// Nodes lists every node heard from, lost ones included.
func (d *Dispatcher) Nodes() []NodeInfo { return d.nodes.infos() }

// Running lists the streams that live nodes run.
func (d *Dispatcher) Running() []string { return d.nodes.running() }

// NodeOf is the node running a stream, "" when none is known.
func (d *Dispatcher) NodeOf(streamID string) string {
	n, _ := d.route(streamID)
	return n
}

// Ready says whether some node would take job now, or why none would.
func (d *Dispatcher) Ready(job worker.Job) error {
	if p := Place(job, d.nodes.views()); p.Refusal != nil {
		return p.Refusal
	}
	return nil
}

// route is the node a stream's calls go to: where it was placed, or a live node whose
// status lists it (a session started before this process).
func (d *Dispatcher) route(streamID string) (string, bool) {
	if n, ok := d.streams.get(streamID); ok && d.nodes.live(n) {
		return n, true
	}
	if n, ok := d.nodes.runningOn(streamID); ok {
		d.streams.set(streamID, n)
		return n, true
	}
	return "", false
}

// Start places job on the node with the most free budget whose status says it fits; a node
// that refuses for a limit is followed by the next.
func (d *Dispatcher) Start(ctx context.Context, job worker.Job) error {
	if n, ok := d.nodes.runningOn(job.StreamID); ok {
		return remoteError{msg: fmt.Sprintf("stream %s runs on worker node %s already", job.StreamID, n), is: worker.ErrExists}
	}
	p := Place(job, d.nodes.views())
	if p.Refusal != nil {
		return p.Refusal
	}
	var refusals []string
	for _, node := range p.Order {
		if cur, ok := d.streams.claim(job.StreamID, node, func(n string) bool { return !d.nodes.live(n) }); !ok {
			return remoteError{msg: fmt.Sprintf("stream %s runs on worker node %s already", job.StreamID, cur), is: worker.ErrExists}
		}
		var r Reply
		err := d.call(ctx, node, startSubject(node), StartRequest{Job: job}, d.cfg.StartTimeout, &r)
		if errors.Is(err, nats.ErrNoResponders) {
			d.streams.release(job.StreamID, node)
			refusals = append(refusals, node+" not answering")
			continue
		}
		if err != nil {
			// The node may have started it: its status and events will tell.
			return err
		}
		d.waitApplied(ctx, r.Published)
		if r.Error == nil {
			d.failover.placed(job, node)
			d.log.Info().Str("streamId", job.StreamID).Str("node", node).Msg("session placed")
			return nil
		}
		if r.Error.Code != CodeExists {
			d.streams.release(job.StreamID, node)
		}
		if r.Error.Code == CodeLimit || r.Error.Code == CodeShuttingDown {
			refusals = append(refusals, node+": "+r.Error.Message)
			continue
		}
		return r.Error.Err()
	}
	return &worker.LimitError{Message: "no worker node can take it: " + strings.Join(refusals, "; "),
		Cause: worker.CauseSessions, RetryAfter: worker.DefaultRetryAfter}
}

// Stop ends a session on its node; when it returns, the final event is applied.
func (d *Dispatcher) Stop(ctx context.Context, streamID string) (worker.Event, error) {
	r, err := d.command(ctx, Request{Op: OpStop, StreamID: streamID})
	if err != nil || r.Event == nil {
		return worker.Event{}, err
	}
	return *r.Event, nil
}

// Command runs JavaScript in a session's page.
func (d *Dispatcher) Command(ctx context.Context, streamID, js string) (string, error) {
	r, err := d.command(ctx, Request{Op: OpCommand, StreamID: streamID, JS: js})
	return r.Output, err
}

// SetRecording turns a session's recording on or off.
func (d *Dispatcher) SetRecording(ctx context.Context, streamID string, on bool, formats []recorder.Format) ([]worker.Recording, error) {
	r, err := d.command(ctx, Request{Op: OpSetRecording, StreamID: streamID, On: on, Formats: formats})
	return r.Recordings, err
}

// AddEndpoint starts a push of a session.
func (d *Dispatcher) AddEndpoint(streamID, id, target, token string) (string, error) {
	r, err := d.command(context.Background(), Request{Op: OpAddEndpoint, StreamID: streamID, EndpointID: id, Target: target, Token: token})
	return r.EndpointID, err
}

// RemoveEndpoint stops one of a session's pushes.
func (d *Dispatcher) RemoveEndpoint(ctx context.Context, streamID, id string) error {
	_, err := d.command(ctx, Request{Op: OpRemoveEndpoint, StreamID: streamID, EndpointID: id})
	return err
}

// Endpoints lists a session's pushes.
func (d *Dispatcher) Endpoints(streamID string) ([]worker.Endpoint, error) {
	r, err := d.command(context.Background(), Request{Op: OpEndpoints, StreamID: streamID})
	return r.Endpoints, err
}

// Progress reports a running session's figures.
func (d *Dispatcher) Progress(streamID string) (worker.Progress, error) {
	r, err := d.command(context.Background(), Request{Op: OpProgress, StreamID: streamID})
	if err != nil || r.Progress == nil {
		return worker.Progress{}, err
	}
	return *r.Progress, nil
}

// command sends req to the node running its stream and waits for the events it reports.
func (d *Dispatcher) command(ctx context.Context, req Request) (Reply, error) {
	node, ok := d.route(req.StreamID)
	if !ok {
		return Reply{}, worker.ErrNotFound
	}
	var r Reply
	began := time.Now()
	if err := d.call(ctx, node, commandSubject(node), req, d.cfg.CallTimeout, &r); err != nil {
		return Reply{}, err
	}
	answered := time.Now()
	d.waitApplied(ctx, r.Published)
	d.log.Debug().Str("op", string(req.Op)).Str("streamId", req.StreamID).Str("node", node).
		Dur("answer", answered.Sub(began)).Dur("applied", time.Since(answered)).Msg("call")
	return r, r.Error.Err()
}

// call sends one request and reads its reply.
func (d *Dispatcher) call(ctx context.Context, node, subject string, req any, timeout time.Duration, r *Reply) error {
	data, err := json.Marshal(req)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	msg, err := d.nc.RequestWithContext(ctx, subject, data)
	if errors.Is(err, nats.ErrNoResponders) {
		return fmt.Errorf("worker node %s does not answer: %w", node, err)
	}
	if err != nil {
		return unreachable(node, err)
	}
	if err := json.Unmarshal(msg.Data, r); err != nil {
		return fmt.Errorf("worker node %s answered what cannot be read: %w", node, err)
	}
	return nil
}

// waitApplied waits until the event a reply reports is applied: a call that returns finds
// the catalog as it would with an in-process worker. A wait cut short only delays the
// catalog.
func (d *Dispatcher) waitApplied(ctx context.Context, m *Mark) {
	if m == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := d.applied.wait(ctx, *m); err != nil {
		d.log.Warn().Err(err).Str("session", m.Session).Msg("the call's events are not applied yet")
	}
}

// Settle waits until every event published before it was called is applied, or ctx ends: a
// controller that stops after its own node's sessions ended leaves their final events
// applied. Events published later (by other nodes) are not waited for.
func (d *Dispatcher) Settle(ctx context.Context) error {
	stream, err := d.js.Stream(ctx, EventStream)
	if err != nil {
		return err
	}
	info, err := stream.Info(ctx)
	if err != nil {
		return err
	}
	last := info.State.LastSeq
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		ci, err := d.cons.Info(ctx)
		if err == nil && (ci.AckFloor.Stream >= last || ci.NumPending+uint64(ci.NumAckPending) == 0) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// Close stops applying events and listening to heartbeats. Sessions on the nodes run on.
func (d *Dispatcher) Close() {
	d.statusSub.Unsubscribe()  //nolint:errcheck // the connection may be gone
	d.qualitySub.Unsubscribe() //nolint:errcheck // the connection may be gone
	d.stop()
	d.begin.Do(func() { close(d.consumeDone); close(d.watchDone) }) // never begun
	<-d.consumeDone
	<-d.watchDone
}
