package cluster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"mediapush/worker"
)

// failover starts again elsewhere the sessions of a node that was lost, each with its job as
// first given (a new part of the recording), and stops a moved session on its old node if
// that node is heard from again. What the old node still reports of it (its final event,
// recordings saved after a crash) is a stray: its recordings are kept, its states ignored.
type failover struct {
	mu sync.Mutex
	// jobs are the jobs this dispatcher placed, by stream id, with their node.
	jobs map[string]placedJob
	// moved are the streams taken off a lost node, by stream id: the node.
	moved map[string]string
	// handled are the lost nodes whose sessions were moved; stopping are the moved sessions
	// being stopped on their old node.
	handled  map[string]bool
	stopping map[string]bool
}

type placedJob struct {
	job  worker.Job
	node string
}

func newFailover() *failover {
	return &failover{jobs: map[string]placedJob{}, moved: map[string]string{}, handled: map[string]bool{}, stopping: map[string]bool{}}
}

func (f *failover) placed(job worker.Job, node string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.jobs[job.StreamID] = placedJob{job: job, node: node}
	if f.moved[job.StreamID] != "" && f.moved[job.StreamID] != node {
		return // still moved off its old node
	}
	delete(f.moved, job.StreamID)
}

func (f *failover) ended(streamID, node string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.jobs[streamID].node == node {
		delete(f.jobs, streamID)
	}
}

// stray says whether an event of node about a stream belongs to a session moved off it.
func (f *failover) stray(streamID, node string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.moved[streamID] == node
}

// watchNodes checks the nodes every interval until ctx ends.
func (d *Dispatcher) watchNodes(ctx context.Context, interval time.Duration) {
	defer close(d.watchDone)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	connectedSince := d.cfg.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		// Heartbeats cannot arrive while this process is cut off from NATS: a node is lost
		// only if unheard for a node timeout of connected time.
		if !d.nc.IsConnected() {
			connectedSince = time.Time{}
			continue
		}
		if connectedSince.IsZero() {
			connectedSince = d.cfg.Now()
		}
		d.checkNodes(ctx, connectedSince)
	}
}

func (d *Dispatcher) checkNodes(ctx context.Context, connectedSince time.Time) {
	f := d.failover
	views := d.nodes.views()
	others := 0
	for _, v := range views {
		if v.Live {
			others++
		}
	}
	for _, v := range views {
		since := v.Seen
		if connectedSince.After(since) {
			since = connectedSince
		}
		if !v.Live && (d.cfg.Now().Sub(since) < d.cfg.NodeTimeout || others == 0) {
			// Not heard for long enough while connected, or no node to move to: when every
			// node falls silent at once the trouble is more likely NATS than the nodes.
			continue
		}
		f.mu.Lock()
		if v.Live {
			delete(f.handled, v.Node)
			var strays []string
			for _, s := range v.Running {
				if f.moved[s] == v.Node && !f.stopping[s+"@"+v.Node] {
					f.stopping[s+"@"+v.Node] = true
					strays = append(strays, s)
				}
			}
			f.mu.Unlock()
			for _, s := range strays {
				go d.stopStray(ctx, s, v.Node)
			}
			continue
		}
		if f.handled[v.Node] {
			f.mu.Unlock()
			continue
		}
		f.handled[v.Node] = true
		var move []worker.Job
		for id, p := range f.jobs {
			if p.node == v.Node {
				move = append(move, p.job)
				f.moved[id] = v.Node
			}
		}
		f.mu.Unlock()
		for _, job := range move {
			d.moveSession(ctx, job, v.Node)
		}
	}
}

// moveSession starts a lost node's session again elsewhere, its recording going on after what
// the lost node had copied of it. The session stays ACTIVE meanwhile: a room recording's other
// parts (its participants' audio) run on.
func (d *Dispatcher) moveSession(ctx context.Context, job worker.Job, lost string) {
	d.log.Warn().Str("node", lost).Str("streamId", job.StreamID).Msg("worker node lost: starting its session again on another node")
	if d.cfg.Salvage != nil {
		job.Continues = append(slices.Clone(job.Continues), d.cfg.Salvage(lost, job.StreamID)...)
	}
	d.cfg.OnEvent(lost, worker.Event{StreamID: job.StreamID, State: worker.Active, At: time.Now(),
		Reason: fmt.Sprintf("worker node %s was lost; the session starts again on another node, as part %d", lost, len(job.Continues)+1)})
	go func() {
		err := d.Start(ctx, job)
		if err == nil {
			return
		}
		d.log.Error().Err(err).Str("streamId", job.StreamID).Msg("the lost node's session could not start again")
		// A node that took the job and failed it has finished its parts already; those no
		// node took are finished here.
		var recs []worker.Recording
		var refused *worker.LimitError
		if d.cfg.Abandon != nil && errors.As(err, &refused) {
			recs = d.cfg.Abandon(ctx, job.Continues)
		}
		d.cfg.OnEvent(lost, worker.Event{StreamID: job.StreamID, State: worker.Failed, At: time.Now(), Recordings: recs,
			Reason: fmt.Sprintf("worker node %s was lost and no other node could take the session: %v", lost, err)})
	}()
}

// stopStray stops a moved session on its old node, heard from again: its recording is kept.
func (d *Dispatcher) stopStray(ctx context.Context, streamID, node string) {
	d.log.Warn().Str("node", node).Str("streamId", streamID).Msg("a moved session still runs on its old node: stopping it there")
	var r Reply
	err := d.call(ctx, node, commandSubject(node), Request{Op: OpStop, StreamID: streamID}, d.cfg.CallTimeout, &r)
	if err == nil {
		err = r.Error.Err()
	}
	if err != nil {
		d.log.Error().Err(err).Str("node", node).Str("streamId", streamID).Msg("stopping the moved session on its old node failed")
	}
	d.failover.mu.Lock()
	delete(d.failover.stopping, streamID+"@"+node)
	d.failover.mu.Unlock()
}
