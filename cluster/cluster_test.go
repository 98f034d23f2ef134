package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"mediapush/recorder"
	"mediapush/worker"
)

// fakeSessions is a worker without Chromium: a start makes a session at once, and the test
// makes it report events.
type fakeSessions struct {
	node *Node
	max  int
	jobs []worker.Job // every job started

	mu      sync.Mutex
	running []string
}

func (f *fakeSessions) Start(_ context.Context, job worker.Job) error {
	f.mu.Lock()
	if slices.Contains(f.running, job.StreamID) {
		f.mu.Unlock()
		return worker.ErrExists
	}
	if f.max > 0 && len(f.running) >= f.max {
		f.mu.Unlock()
		return &worker.LimitError{Message: "the server runs as many sessions as it allows (1)", Cause: worker.CauseSessions, RetryAfter: time.Second}
	}
	f.running = append(f.running, job.StreamID)
	f.jobs = append(f.jobs, job)
	node := f.node
	f.mu.Unlock()
	node.OnEvent(worker.Event{StreamID: job.StreamID, State: worker.Starting, At: time.Now(), Job: &job})
	node.OnEvent(worker.Event{StreamID: job.StreamID, State: worker.Active, At: time.Now()})
	return nil
}

func (f *fakeSessions) Stop(_ context.Context, id string) (worker.Event, error) {
	f.mu.Lock()
	i := slices.Index(f.running, id)
	if i < 0 {
		f.mu.Unlock()
		return worker.Event{}, worker.ErrNotFound
	}
	f.running = slices.Delete(f.running, i, i+1)
	node := f.node
	f.mu.Unlock()
	ev := worker.Event{StreamID: id, State: worker.Complete, At: time.Now(),
		Recordings: []worker.Recording{{StreamID: id, Format: recorder.MP4, Key: id + ".mp4", Size: 100}}}
	node.OnEvent(ev)
	return ev, nil
}

func (f *fakeSessions) Command(_ context.Context, id, js string) (string, error) {
	if !slices.Contains(f.Running(), id) {
		return "", worker.ErrNotFound
	}
	return "ran " + js, nil
}

func (f *fakeSessions) SetRecording(context.Context, string, bool, []recorder.Format) ([]worker.Recording, error) {
	return nil, nil
}
func (f *fakeSessions) AddEndpoint(_, id, _, _ string) (string, error)       { return id, nil }
func (f *fakeSessions) RemoveEndpoint(context.Context, string, string) error { return nil }
func (f *fakeSessions) Endpoints(string) ([]worker.Endpoint, error)          { return nil, nil }
func (f *fakeSessions) Progress(string) (worker.Progress, error)             { return worker.Progress{}, nil }
func (f *fakeSessions) MaxSessions() int                                     { return f.max }
func (f *fakeSessions) Load() worker.LoadReport {
	var r worker.LoadReport
	for _, id := range f.Running() {
		r.Sessions = append(r.Sessions, worker.SessionLoad{StreamID: id})
	}
	return r
}

func (f *fakeSessions) Running() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.running)
}

// applyLog is the controller's side: every event it applied, in order.
type applyLog struct {
	mu     sync.Mutex
	events []string // node/stream/state
}

func (a *applyLog) apply(node string, ev worker.Event) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.events = append(a.events, node+"/"+ev.StreamID+"/"+string(ev.State))
}

func (a *applyLog) of(stream string) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, e := range a.events {
		if strings.Contains(e, "/"+stream+"/") {
			out = append(out, e)
		}
	}
	return out
}

type rig struct {
	strays *applyLog
	t      *testing.T
	listen string
	store  string
	broker *Broker
	log    *applyLog
	disp   *Dispatcher
}

func newRig(t *testing.T, options ...func(*DispatcherConfig)) *rig {
	t.Helper()
	r := &rig{t: t, store: filepath.Join(t.TempDir(), "nats"), log: &applyLog{}, strays: &applyLog{}}
	r.listen = "127.0.0.1:" + freePort(t)
	r.startBroker()
	nc := r.connect("controller")
	cfg := DispatcherConfig{Conn: nc, OnEvent: r.log.apply, OnStray: r.strays.apply, Log: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel)}
	for _, o := range options {
		o(&cfg)
	}
	d, err := NewDispatcher(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	d.Begin()
	r.disp = d
	t.Cleanup(d.Close)
	return r
}

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
}

func (r *rig) startBroker() {
	b, err := StartBroker(BrokerConfig{Listen: r.listen, StoreDir: r.store, Token: "test-cluster-token"})
	if err != nil {
		r.t.Fatal(err)
	}
	r.broker = b
	r.t.Cleanup(func() { r.broker.Close() })
}

func (r *rig) connect(name string) *nats.Conn {
	nc, err := Connect("nats://"+r.listen, "test-cluster-token", name, zerolog.Nop())
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(nc.Close)
	return nc
}

func (r *rig) node(id string, max int) (*Node, *fakeSessions) {
	return r.nodeWith(id, &fakeSessions{max: max})
}

// nodeWith serves f as node id: a node that comes back after it was lost serves what it ran.
func (r *rig) nodeWith(id string, f *fakeSessions) (*Node, *fakeSessions) {
	n, err := NewNode(context.Background(), NodeConfig{ID: id, Conn: r.connect(id), Heartbeat: 50 * time.Millisecond, Log: zerolog.Nop()})
	if err != nil {
		r.t.Fatal(err)
	}
	f.mu.Lock()
	f.node = n
	f.mu.Unlock()
	if err := n.Serve(f); err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { n.Close(context.Background()) })
	eventually(r.t, "node "+id+" heard", func() bool { return slices.ContainsFunc(r.disp.Nodes(), func(i NodeInfo) bool { return i.ID == id }) })
	return n, f
}

// eventually waits for what happens asynchronously, bounded so that a failure ends the test.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 20 s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestStartAndStopThroughANode(t *testing.T) {
	r := newRig(t)
	r.node("w1", 0)
	ctx := context.Background()
	if err := r.disp.Start(ctx, worker.Job{StreamID: "s1", Width: 640, Height: 360, Token: "tok"}); err != nil {
		t.Fatal(err)
	}
	// A start that returns has its events applied, as with an in-process worker.
	if got := r.log.of("s1"); !slices.Equal(got, []string{"w1/s1/STARTING", "w1/s1/ACTIVE"}) {
		t.Errorf("applied after start: %v", got)
	}
	if err := r.disp.Start(ctx, worker.Job{StreamID: "s1", Width: 640, Height: 360}); !errors.Is(err, worker.ErrExists) {
		t.Errorf("second start of s1: %v, want ErrExists", err)
	}
	if out, err := r.disp.Command(ctx, "s1", "1+1"); err != nil || out != "ran 1+1" {
		t.Errorf("command: %q, %v", out, err)
	}
	ev, err := r.disp.Stop(ctx, "s1")
	if err != nil || ev.State != worker.Complete || len(ev.Recordings) != 1 {
		t.Fatalf("stop: %+v, %v", ev, err)
	}
	if got := r.log.of("s1"); !slices.Equal(got, []string{"w1/s1/STARTING", "w1/s1/ACTIVE", "w1/s1/COMPLETE"}) {
		t.Errorf("applied after stop: %v", got)
	}
	if _, err := r.disp.Stop(ctx, "s1"); !errors.Is(err, worker.ErrNotFound) {
		t.Errorf("stop of a stopped stream: %v, want ErrNotFound", err)
	}
	// The stream id is free again at once, whatever the last heartbeat said.
	if err := r.disp.Start(ctx, worker.Job{StreamID: "s1", Width: 640, Height: 360}); err != nil {
		t.Errorf("start of s1 again: %v", err)
	}
}

func TestLimitTriesTheNextNodeThenRefuses(t *testing.T) {
	r := newRig(t)
	r.node("w1", 1)
	r.node("w2", 1)
	ctx := context.Background()
	for _, id := range []string{"a", "b"} {
		if err := r.disp.Start(ctx, worker.Job{StreamID: id, Width: 640, Height: 360}); err != nil {
			t.Fatalf("start %s: %v", id, err)
		}
	}
	on := map[string]bool{r.disp.NodeOf("a"): true, r.disp.NodeOf("b"): true}
	if !on["w1"] || !on["w2"] {
		t.Errorf("a and b run on %v, want one on each node", on)
	}
	err := r.disp.Start(ctx, worker.Job{StreamID: "c", Width: 640, Height: 360})
	var le *worker.LimitError
	if !errors.As(err, &le) || !strings.Contains(le.Message, "no worker node can take") {
		t.Errorf("third start: %v, want a limit refusal naming the shortage", err)
	}
}

func TestRedeliveredEventIsAppliedOnce(t *testing.T) {
	r := newRig(t)
	nc := r.connect("replayer")
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	publish := func(m EventMessage, id string) {
		data, _ := json.Marshal(m)
		if _, err := js.PublishMsg(ctx, &nats.Msg{Subject: eventSubject(m.Node), Data: data}, jetstream.WithMsgID(id)); err != nil {
			t.Fatal(err)
		}
	}
	starting := EventMessage{Node: "w9", Session: "sess1", Seq: 1, Event: worker.Event{StreamID: "r", State: worker.Starting}}
	active := EventMessage{Node: "w9", Session: "sess1", Seq: 2, Event: worker.Event{StreamID: "r", State: worker.Active}}
	publish(starting, "1")
	publish(active, "2")
	// The same events again under other message ids, past JetStream's own deduplication:
	// a node that restarted its publishing, or a redelivery.
	publish(starting, "1-again")
	publish(active, "2-again")
	complete := EventMessage{Node: "w9", Session: "sess1", Seq: 3, Event: worker.Event{StreamID: "r", State: worker.Complete}}
	publish(complete, "3")
	eventually(t, "the final event applied", func() bool { return len(r.log.of("r")) >= 3 })
	if err := r.disp.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	if got := r.log.of("r"); !slices.Equal(got, []string{"w9/r/STARTING", "w9/r/ACTIVE", "w9/r/COMPLETE"}) {
		t.Errorf("applied: %v", got)
	}

	// A controller that restarts remembers what it applied.
	r.disp.Close()
	again := &applyLog{}
	d2, err := NewDispatcher(ctx, DispatcherConfig{Conn: r.connect("controller2"), OnEvent: again.apply, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	d2.Begin()
	defer d2.Close()
	publish(active, "2-third")
	publish(EventMessage{Node: "w9", Session: "sess2", Seq: 1, Event: worker.Event{StreamID: "r", State: worker.Starting}}, "4")
	eventually(t, "the new session's event applied", func() bool { return len(again.of("r")) >= 1 })
	if err := d2.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	if got := again.of("r"); !slices.Equal(got, []string{"w9/r/STARTING"}) {
		t.Errorf("applied after the restart: %v, want only the new session's STARTING", got)
	}
}

func TestOrderPerStreamAcrossABrokerRestart(t *testing.T) {
	r := newRig(t)
	n, _ := r.node("w1", 0)
	const perStream = 40
	streams := []string{"x", "y"}
	want := map[string][]string{}
	emit := func(from, to int) {
		for i := from; i < to; i++ {
			for _, s := range streams {
				state := worker.Active
				if i == 0 {
					state = worker.Starting
				}
				n.OnEvent(worker.Event{StreamID: s, State: state, Reason: fmt.Sprint(i)})
				want[s] = append(want[s], "w1/"+s+"/"+string(state))
			}
		}
	}
	emit(0, perStream/2)
	// NATS goes away mid-stream: the node keeps its events until it is back.
	r.broker.Close()
	emit(perStream/2, perStream)
	r.startBroker()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := n.pub.flush(ctx); err != nil {
		t.Fatalf("events not published after the restart: %v", err)
	}
	for _, s := range streams {
		eventually(t, "every event of "+s, func() bool { return len(r.log.of(s)) >= perStream })
	}
	if err := r.disp.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	for _, s := range streams {
		if got := r.log.of(s); !slices.Equal(got, want[s]) {
			t.Errorf("stream %s: applied %d events, want %d in order", s, len(got), len(want[s]))
		}
	}
}

func TestDrainingNodeTakesNoStart(t *testing.T) {
	r := newRig(t)
	n1, _ := r.node("w1", 0)
	r.node("w2", 0)
	ctx := context.Background()
	if err := r.disp.Start(ctx, worker.Job{StreamID: "old", Width: 640, Height: 360}); err != nil {
		t.Fatal(err)
	}
	drainer := n1
	if r.disp.NodeOf("old") == "w2" {
		t.Skip("placement put it on w2; the draining case is the same with names swapped")
	}
	drained := make(chan bool, 1)
	go func() { drained <- drainer.Drain(ctx, time.Minute) }()
	eventually(t, "w1 seen draining", func() bool {
		return slices.ContainsFunc(r.disp.Nodes(), func(i NodeInfo) bool { return i.ID == "w1" && i.Draining })
	})
	if err := r.disp.Start(ctx, worker.Job{StreamID: "new", Width: 640, Height: 360}); err != nil || r.disp.NodeOf("new") != "w2" {
		t.Errorf("start while w1 drains: %v, on %q; want w2", err, r.disp.NodeOf("new"))
	}
	if _, err := r.disp.Stop(ctx, "old"); err != nil {
		t.Fatal(err)
	}
	if !<-drained {
		t.Error("drain did not see the session end")
	}
}

func TestBrokerRefusesOpenListenWithoutToken(t *testing.T) {
	_, err := StartBroker(BrokerConfig{Listen: "0.0.0.0:0", StoreDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), TokenEnv) {
		t.Errorf("listening on all addresses without a token: %v, want an error naming %s", err, TokenEnv)
	}
	if _, err := Connect("nats://user:pass@127.0.0.1:1", "", "x", zerolog.Nop()); err == nil || !strings.Contains(err.Error(), TokenEnv) {
		t.Errorf("a URL with credentials: %v", err)
	}
}

func TestBrokerRequiresTheToken(t *testing.T) {
	r := newRig(t)
	if nc, err := Connect("nats://"+r.listen, "wrong", "intruder", zerolog.Nop()); err == nil {
		nc.Close()
		t.Error("a wrong token was accepted")
	}
}

func TestLostNodesSessionStartsAgainElsewhere(t *testing.T) {
	var salvaged []string
	r := newRig(t, func(c *DispatcherConfig) {
		c.Failover, c.NodeTimeout = true, 300*time.Millisecond
		c.Salvage = func(node, streamID string) []string {
			salvaged = append(salvaged, node+"/"+streamID)
			return []string{streamID + "-20261203-070000.mkv"}
		}
	})
	n1, f1 := r.node("w1", 0)
	ctx := context.Background()
	if err := r.disp.Start(ctx, worker.Job{StreamID: "m", Width: 640, Height: 360, Token: "publish-token"}); err != nil {
		t.Fatal(err)
	}
	_, f2 := r.node("w2", 0)
	// w1 goes silent with its session running: a crash or a partition.
	n1.Close(ctx) //nolint:errcheck // nothing to send
	eventually(t, "m running on w2", func() bool { return r.disp.NodeOf("m") == "w2" && slices.Contains(f2.Running(), "m") })
	got := r.log.of("m")
	// The session is not over while it moves: ACTIVE says it goes on.
	want := []string{"w1/m/STARTING", "w1/m/ACTIVE", "w1/m/ACTIVE", "w2/m/STARTING", "w2/m/ACTIVE"}
	eventually(t, "w2's events applied", func() bool { got = r.log.of("m"); return len(got) >= len(want) })
	if !slices.Equal(got, want) {
		t.Errorf("applied: %v, want %v", got, want)
	}
	f2.mu.Lock()
	jobs := slices.Clone(f2.jobs)
	f2.mu.Unlock()
	if len(jobs) != 1 || jobs[0].Token != "publish-token" {
		t.Errorf("w2 was given %+v, want m's job as first given", jobs)
	}
	if !slices.Equal(salvaged, []string{"w1/m"}) || len(jobs) != 1 || !slices.Equal(jobs[0].Continues, []string{"m-20261203-070000.mkv"}) {
		t.Errorf("salvaged %v and w2 continues %v; want w1's recording of m salvaged and continued", salvaged, jobs)
	}
	// w1 is heard again, still running m: it is stopped there, its recording kept as a stray.
	r.nodeWith("w1", f1)
	eventually(t, "m stopped on w1", func() bool { return len(f1.Running()) == 0 })
	eventually(t, "w1's final event kept as a stray", func() bool { return slices.Equal(r.strays.of("m"), []string{"w1/m/COMPLETE"}) })
	if got := r.log.of("m"); len(got) != len(want) {
		t.Errorf("the old node's events changed the session's state: %v", got)
	}
	if r.disp.NodeOf("m") != "w2" {
		t.Errorf("m is routed to %q, want w2", r.disp.NodeOf("m"))
	}
}

func TestNATSRestartMovesNoSession(t *testing.T) {
	r := newRig(t, func(c *DispatcherConfig) { c.Failover, c.NodeTimeout = true, 300*time.Millisecond })
	r.node("w1", 0)
	_, f2 := r.node("w2", 0)
	ctx := context.Background()
	if err := r.disp.Start(ctx, worker.Job{StreamID: "k", Width: 640, Height: 360}); err != nil {
		t.Fatal(err)
	}
	on := r.disp.NodeOf("k")
	// Every node falls silent at once, for several node timeouts: NATS is away, not the nodes.
	r.broker.Close()
	time.Sleep(time.Second)
	r.startBroker()
	eventually(t, "both nodes heard again", func() bool {
		live := 0
		for _, n := range r.disp.Nodes() {
			if n.Live {
				live++
			}
		}
		return live == 2
	})
	for range 3 { // a few rounds of the watcher with every node heard
		time.Sleep(100 * time.Millisecond)
	}
	if got := r.log.of("k"); slices.Contains(got, on+"/k/FAILED") || r.disp.NodeOf("k") != on {
		t.Errorf("after NATS came back: k on %q, events %v; want it left on %s", r.disp.NodeOf("k"), got, on)
	}
	f2.mu.Lock()
	defer f2.mu.Unlock()
	if on == "w1" && len(f2.jobs) != 0 {
		t.Errorf("w2 was given %v", f2.jobs)
	}
}

func TestQualityReportsReachTheController(t *testing.T) {
	got := make(chan worker.Degradation, 1)
	r := newRig(t, func(c *DispatcherConfig) { c.OnDegraded = func(d worker.Degradation) { got <- d } })
	n, _ := r.node("w1", 0)
	want := worker.Degradation{StreamID: "q", Degraded: true, At: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC), FPS: 12.5,
		AVOffset: 80 * time.Millisecond, Reason: "12.5 fps, below 29"}
	n.OnDegraded(want)
	select {
	case d := <-got:
		if d != want {
			t.Errorf("got %+v, want %+v", d, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no quality report within 10 s")
	}
}
