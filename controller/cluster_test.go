package controller

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"mediapush/catalog"
	"mediapush/cluster"
	"mediapush/recorder"
	"mediapush/worker"
)

// remoteSessions is a worker node's sessions without Chromium: a start runs at once.
type remoteSessions struct {
	node    *cluster.Node
	mu      sync.Mutex
	running []string
}

func (r *remoteSessions) Start(_ context.Context, job worker.Job) error {
	r.mu.Lock()
	r.running = append(r.running, job.StreamID)
	r.mu.Unlock()
	r.node.OnEvent(worker.Event{StreamID: job.StreamID, State: worker.Starting, At: time.Now(), Job: &job})
	r.node.OnEvent(worker.Event{StreamID: job.StreamID, State: worker.Active, At: time.Now()})
	return nil
}

func (r *remoteSessions) Stop(_ context.Context, id string) (worker.Event, error) {
	r.mu.Lock()
	i := slices.Index(r.running, id)
	if i < 0 {
		r.mu.Unlock()
		return worker.Event{}, worker.ErrNotFound
	}
	r.running = slices.Delete(r.running, i, i+1)
	r.mu.Unlock()
	ev := worker.Event{StreamID: id, State: worker.Complete, At: time.Now()}
	r.node.OnEvent(ev)
	return ev, nil
}

func (r *remoteSessions) Command(context.Context, string, string) (string, error) { return "", nil }
func (r *remoteSessions) SetRecording(context.Context, string, bool, []recorder.Format) ([]worker.Recording, error) {
	return nil, nil
}
func (r *remoteSessions) AddEndpoint(_, id, _, _ string) (string, error)       { return id, nil }
func (r *remoteSessions) RemoveEndpoint(context.Context, string, string) error { return nil }
func (r *remoteSessions) Endpoints(string) ([]worker.Endpoint, error)          { return nil, nil }
func (r *remoteSessions) Progress(string) (worker.Progress, error)             { return worker.Progress{}, nil }
func (r *remoteSessions) MaxSessions() int                                     { return 0 }
func (r *remoteSessions) Running() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.running)
}
func (r *remoteSessions) Load() worker.LoadReport {
	var l worker.LoadReport
	for _, id := range r.Running() {
		l.Sessions = append(l.Sessions, worker.SessionLoad{StreamID: id})
	}
	return l
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 20 s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A controller that restarts fails only the sessions no worker node still runs.
func TestClusterRestartKeepsRemoteSessions(t *testing.T) {
	connect := testBroker(t)
	testNode(t, connect)
	ctx := context.Background()

	data := t.TempDir()
	open := func(name string) *Controller {
		c, err := Open(Config{DataDir: data, Log: zerolog.Nop(),
			Cluster: ClusterConfig{Conn: connect(name), NoLocalSessions: true, NodeTimeout: 300 * time.Millisecond}})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	first := open("first")
	waitFor(t, "w1 heard", func() bool { return len(first.Nodes()) == 1 && first.Nodes()[0].Live })
	if err := first.svc.runner.Start(ctx, worker.Job{StreamID: "kept", URL: "https://example.com/", Width: 640, Height: 360}); err != nil {
		t.Fatal(err)
	}
	b, err := first.svc.Broadcast(ctx, "kept")
	if err != nil || b.State != string(worker.Active) || b.WorkerID != "w1" {
		t.Errorf("kept while running: %+v, %v; want ACTIVE on w1", b, err)
	}
	// A session whose node went away with the controller.
	if err := first.cat.PutBroadcast(ctx, catalog.Broadcast{StreamID: "lost", Status: catalog.StatusBroadcasting, State: string(worker.Active)}); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(ctx); err != nil {
		t.Fatal(err)
	}

	second := open("second")
	t.Cleanup(func() { second.Close(ctx) }) //nolint:errcheck // test end
	waitFor(t, "lost failed", func() bool {
		b, err := second.cat.GetBroadcast(ctx, "lost")
		return err == nil && b.State == string(worker.Failed)
	})
	if b, _ := second.cat.GetBroadcast(ctx, "kept"); b.State != string(worker.Active) {
		t.Errorf("kept after the restart: %s (%s), want ACTIVE: w1 still runs it", b.State, b.Reason)
	}
	if err := second.svc.StopPush(ctx, "kept"); err != nil {
		t.Fatalf("stop through the restarted controller: %v", err)
	}
	if b, _ := second.cat.GetBroadcast(ctx, "kept"); b.State != string(worker.Complete) {
		t.Errorf("kept after stop: %s, want COMPLETE", b.State)
	}
}

func TestCheckJobRefusesWhatNewJobWould(t *testing.T) {
	good := worker.Job{StreamID: "ok", URL: "https://example.com/", Width: 640, Height: 360, Record: []recorder.Format{recorder.MP4}}
	if err := CheckJob(good); err != nil {
		t.Fatalf("a valid job: %v", err)
	}
	for name, change := range map[string]func(*worker.Job){
		"path in the stream id": func(j *worker.Job) { j.StreamID = "../../etc/x" },
		"file URL":              func(j *worker.Job) { j.URL = "file:///etc/passwd" },
		"odd size":              func(j *worker.Job) { j.Width = 641 },
		"webm with mp4":         func(j *worker.Job) { j.Record = append(j.Record, recorder.WebM) },
		"a dangerous switch":    func(j *worker.Job) { j.ChromeSwitches = "--renderer-cmd-prefix=/bin/sh" },
	} {
		j := good
		change(&j)
		if err := CheckJob(j); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
