package cluster

import (
	"slices"
	"sync"
	"time"

	"mediapush/worker"
)

// NodeInfo is a node as GET /api/v1/nodes lists it.
type NodeInfo struct {
	ID          string            `json:"id"`
	Budget      worker.Budget     `json:"budget"`
	MaxSessions int               `json:"maxSessions,omitempty"`
	Load        worker.LoadReport `json:"load"`
	Sessions    []string          `json:"sessions"`
	Draining    bool              `json:"draining"`
	// Live is false once the node has not been heard from for the node timeout.
	Live     bool      `json:"live"`
	LastSeen time.Time `json:"lastSeen"`
}

// nodeTable keeps every node's last status and when it arrived, by this process's clock
// (the nodes' clocks may differ).
type nodeTable struct {
	timeout time.Duration
	now     func() time.Time

	mu    sync.Mutex
	nodes map[string]*nodeEntry
	// ended holds, by node and stream, when a session's final event happened (by the node's
	// clock, as its statuses are dated): a status sent before it, arriving after it, must not
	// list the session as running again.
	ended map[string]map[string]time.Time
}

type nodeEntry struct {
	status Status
	seen   time.Time
}

func newNodeTable(timeout time.Duration, now func() time.Time) *nodeTable {
	return &nodeTable{timeout: timeout, now: now, nodes: map[string]*nodeEntry{}, ended: map[string]map[string]time.Time{}}
}

func (t *nodeTable) update(st Status) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for stream, at := range t.ended[st.Node] {
		if st.At.After(at) {
			delete(t.ended[st.Node], stream) // this status knows of the end
		} else {
			st = withoutSession(st, stream)
		}
	}
	t.nodes[st.Node] = &nodeEntry{status: st, seen: t.now()}
}

// sessionEnded notes that a node's session ended at at: it leaves the node's status at once,
// rather than at the next heartbeat, so that placement and a new start of the stream id see it.
func (t *nodeTable) sessionEnded(node, streamID string, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ended[node] == nil {
		t.ended[node] = map[string]time.Time{}
	}
	t.ended[node][streamID] = at
	if e, ok := t.nodes[node]; ok && !e.status.At.After(at) {
		e.status = withoutSession(e.status, streamID)
	}
}

// withoutSession is st without a stream among its sessions.
func withoutSession(st Status, streamID string) Status {
	if !slices.Contains(st.Running, streamID) {
		return st
	}
	st.Running = slices.DeleteFunc(slices.Clone(st.Running), func(s string) bool { return s == streamID })
	st.Load.Sessions = slices.DeleteFunc(slices.Clone(st.Load.Sessions), func(s worker.SessionLoad) bool {
		if s.StreamID != streamID {
			return false
		}
		// What admission counted for it (see worker's sessionLoad), until the next status.
		c := s.Estimate
		switch {
		case s.Measured && s.Settled:
			c = s.Cost
		case s.Measured:
			c = worker.Cost{Cores: max(s.Cost.Cores, c.Cores), Bytes: max(s.Cost.Bytes, c.Bytes)}
		}
		st.Load.Load.Cores = max(st.Load.Load.Cores-c.Cores, 0)
		st.Load.Load.Bytes = max(st.Load.Load.Bytes-c.Bytes, 0)
		return true
	})
	return st
}

func (t *nodeTable) liveLocked(e *nodeEntry) bool { return t.now().Sub(e.seen) < t.timeout }

// views are the nodes as placement sees them.
func (t *nodeTable) views() []NodeView {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]NodeView, 0, len(t.nodes))
	for _, e := range t.nodes {
		out = append(out, NodeView{Status: e.status, Live: t.liveLocked(e), Seen: e.seen})
	}
	return out
}

// live says whether a node is heard from.
func (t *nodeTable) live(id string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.nodes[id]
	return ok && t.liveLocked(e)
}

// runningOn is the live node whose status lists the stream, if any.
func (t *nodeTable) runningOn(streamID string) (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for id, e := range t.nodes {
		if t.liveLocked(e) && slices.Contains(e.status.Running, streamID) {
			return id, true
		}
	}
	return "", false
}

// running lists the streams the live nodes run.
func (t *nodeTable) running() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var ids []string
	for _, e := range t.nodes {
		if t.liveLocked(e) {
			ids = append(ids, e.status.Running...)
		}
	}
	return ids
}

func (t *nodeTable) infos() []NodeInfo {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]NodeInfo, 0, len(t.nodes))
	for id, e := range t.nodes {
		s := e.status
		out = append(out, NodeInfo{ID: id, Budget: s.Budget, MaxSessions: s.MaxSessions, Load: s.Load,
			Sessions: slices.Clone(s.Running), Draining: s.Draining, Live: t.liveLocked(e), LastSeen: e.seen.UTC()})
	}
	slices.SortFunc(out, func(a, b NodeInfo) int {
		if a.ID < b.ID {
			return -1
		}
		return 1
	})
	return out
}
