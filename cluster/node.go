package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"mediapush/internal/redact"
	"mediapush/recorder"
	"mediapush/worker"
)

// Sessions is what a node serves: a *worker.Worker, or a fake in tests.
type Sessions interface {
	Start(ctx context.Context, job worker.Job) error
	Stop(ctx context.Context, streamID string) (worker.Event, error)
	Command(ctx context.Context, streamID, js string) (string, error)
	SetRecording(ctx context.Context, streamID string, on bool, formats []recorder.Format) ([]worker.Recording, error)
	AddEndpoint(streamID, id, target, token string) (string, error)
	RemoveEndpoint(ctx context.Context, streamID, id string) error
	Endpoints(streamID string) ([]worker.Endpoint, error)
	Progress(streamID string) (worker.Progress, error)
	Load() worker.LoadReport
	Running() []string
	MaxSessions() int
}

// NodeConfig configures a Node.
type NodeConfig struct {
	// ID names the node in subjects, statuses and events (see ValidNodeID).
	ID   string
	Conn *nats.Conn
	// Heartbeat is how often the node's status is published. Default 1 s.
	Heartbeat time.Duration
	// Check, when set, refuses a job that is not valid before it reaches the worker: a start
	// arrives from NATS, not through the controller's own checks.
	Check func(worker.Job) error
	// StopTimeout bounds a stop (finishing the recording). Default 10 minutes.
	StopTimeout time.Duration
	Log         zerolog.Logger
}

// Node serves a worker's sessions over NATS: it takes starts and commands on its own
// subjects, publishes its sessions' events and, every Heartbeat, its status.
type Node struct {
	cfg NodeConfig
	js  jetstream.JetStream
	pub *publisher
	log zerolog.Logger

	mu       sync.Mutex
	sessions Sessions
	draining bool
	subs     []*nats.Subscription
	handlers sync.WaitGroup // calls being answered

	stopBeat chan struct{}
	beatDone chan struct{}
	closed   bool
}

// NewNode prepares a node; its OnEvent can be given to the worker before Serve.
func NewNode(ctx context.Context, cfg NodeConfig) (*Node, error) {
	if err := ValidNodeID(cfg.ID); err != nil {
		return nil, err
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = time.Second
	}
	if cfg.StopTimeout <= 0 {
		cfg.StopTimeout = 10 * time.Minute
	}
	js, err := jetstream.New(cfg.Conn)
	if err != nil {
		return nil, err
	}
	if err := ensureEvents(ctx, js); err != nil {
		return nil, err
	}
	log := cfg.Log.With().Str("node", cfg.ID).Logger()
	return &Node{cfg: cfg, js: js, log: log, pub: newPublisher(js, cfg.ID, log),
		stopBeat: make(chan struct{}), beatDone: make(chan struct{})}, nil
}

// OnEvent publishes a session's event (worker.Config.OnEvent).
func (n *Node) OnEvent(ev worker.Event) { n.pub.add(ev) }

// Serve answers starts and commands for s and starts the heartbeat.
func (n *Node) Serve(s Sessions) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.sessions = s
	for subject, handle := range map[string]func(*nats.Msg){
		startSubject(n.cfg.ID): n.onStart, commandSubject(n.cfg.ID): n.onCommand,
	} {
		sub, err := n.cfg.Conn.Subscribe(subject, func(m *nats.Msg) {
			n.handlers.Add(1)
			go func() {
				defer n.handlers.Done()
				handle(m)
			}()
		})
		if err != nil {
			n.unsubscribeLocked()
			return fmt.Errorf("NATS subscription %s: %w", subject, err)
		}
		n.subs = append(n.subs, sub)
	}
	if err := n.cfg.Conn.Flush(); err != nil {
		n.unsubscribeLocked()
		return err
	}
	go n.heartbeat()
	return nil
}

func (n *Node) unsubscribeLocked() {
	for _, s := range n.subs {
		s.Unsubscribe() //nolint:errcheck // the connection may be gone already
	}
	n.subs = nil
}

func (n *Node) onStart(m *nats.Msg) {
	var req StartRequest
	if err := json.Unmarshal(m.Data, &req); err != nil {
		n.respond(m, Reply{Error: &Error{Code: CodeBadRequest, Message: err.Error()}})
		return
	}
	if n.cfg.Check != nil {
		if err := n.cfg.Check(req.Job); err != nil {
			n.respond(m, Reply{Error: &Error{Code: CodeBadRequest, Message: err.Error()}})
			return
		}
	}
	n.mu.Lock()
	draining := n.draining || n.closed
	n.mu.Unlock()
	if draining {
		n.respond(m, Reply{Error: encodeError(ErrShuttingDown)})
		return
	}
	err := n.sessions.Start(context.Background(), req.Job)
	if err != nil {
		// The reason may quote the page's URL, whose query can hold a token.
		n.log.Info().Str("streamId", req.Job.StreamID).Str("reason", redact.Text(err.Error())).Msg("start refused or failed")
	}
	n.respond(m, Reply{Error: encodeError(err), Published: n.pub.last(req.Job.StreamID)})
}

func (n *Node) onCommand(m *nats.Msg) {
	var req Request
	if err := json.Unmarshal(m.Data, &req); err != nil {
		n.respond(m, Reply{Error: &Error{Code: CodeBadRequest, Message: err.Error()}})
		return
	}
	r := n.run(req)
	if req.Op == OpStop || req.Op == OpSetRecording {
		r.Published = n.pub.last(req.StreamID)
	}
	n.respond(m, r)
}

// run carries out one command.
func (n *Node) run(req Request) Reply {
	ctx, cancel := context.WithTimeout(context.Background(), n.cfg.StopTimeout)
	defer cancel()
	s := n.sessions
	var r Reply
	var err error
	switch req.Op {
	case OpStop:
		var ev worker.Event
		if ev, err = s.Stop(ctx, req.StreamID); err == nil {
			ev = withoutSecrets(ev)
			r.Event = &ev
		}
	case OpCommand:
		r.Output, err = s.Command(ctx, req.StreamID, req.JS)
	case OpSetRecording:
		r.Recordings, err = s.SetRecording(ctx, req.StreamID, req.On, req.Formats)
	case OpAddEndpoint:
		r.EndpointID, err = s.AddEndpoint(req.StreamID, req.EndpointID, req.Target, req.Token)
	case OpRemoveEndpoint:
		err = s.RemoveEndpoint(ctx, req.StreamID, req.EndpointID)
	case OpEndpoints:
		r.Endpoints, err = s.Endpoints(req.StreamID)
	case OpProgress:
		var p worker.Progress
		if p, err = s.Progress(req.StreamID); err == nil {
			r.Progress = &p
		}
	default:
		return Reply{Error: &Error{Code: CodeBadRequest, Message: fmt.Sprintf("unknown command %q", req.Op)}}
	}
	r.Error = encodeError(err)
	return r
}

func (n *Node) respond(m *nats.Msg, r Reply) {
	data, err := json.Marshal(r)
	if err == nil {
		err = m.Respond(data)
	}
	if err != nil {
		n.log.Warn().Err(err).Msg("answering a call failed")
	}
}

// Status is the node's status now.
func (n *Node) Status() Status {
	n.mu.Lock()
	s, draining := n.sessions, n.draining
	n.mu.Unlock()
	st := Status{Node: n.cfg.ID, Draining: draining, At: time.Now().UTC(), Running: []string{}}
	if s != nil {
		st.Load = s.Load()
		st.Budget, st.MaxSessions = st.Load.Budget, max(s.MaxSessions(), 0)
		for _, l := range st.Load.Sessions {
			st.Running = append(st.Running, l.StreamID)
		}
	}
	return st
}

func (n *Node) heartbeat() {
	defer close(n.beatDone)
	tick := time.NewTicker(n.cfg.Heartbeat)
	defer tick.Stop()
	for {
		n.publishStatus()
		select {
		case <-n.stopBeat:
			return
		case <-tick.C:
		}
	}
}

func (n *Node) publishStatus() {
	data, err := json.Marshal(n.Status())
	if err == nil {
		err = n.cfg.Conn.Publish(StatusSubject, data)
	}
	if err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
		n.log.Debug().Err(err).Msg("heartbeat not sent")
	}
}

// Drain refuses new starts and tells the controller so at once, then waits until the
// sessions have ended (stopped through the API) or timeout has passed, after which the
// caller stops what remains. It reports whether every session ended by itself.
func (n *Node) Drain(ctx context.Context, timeout time.Duration) bool {
	n.mu.Lock()
	n.draining = true
	s := n.sessions
	n.mu.Unlock()
	n.publishStatus()
	n.log.Info().Dur("timeout", timeout).Msg("draining: no new session; waiting for the running ones to end")
	if s == nil {
		return true
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for len(s.Running()) > 0 {
		select {
		case <-ctx.Done():
			return false
		case <-deadline.C:
			return false
		case <-tick.C:
		}
	}
	return true
}

// Close stops answering and the heartbeat, waits for the calls being answered, then sends
// the events not sent yet for as long as ctx allows. The sessions are the caller's to stop
// first.
func (n *Node) Close(ctx context.Context) error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	n.unsubscribeLocked()
	serving := n.sessions != nil
	n.mu.Unlock()
	if serving {
		close(n.stopBeat)
		<-n.beatDone
	}
	n.handlers.Wait()
	return n.pub.close(ctx)
}
