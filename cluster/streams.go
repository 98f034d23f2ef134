package cluster

import "sync"

// streamTable says which node each stream was placed on. A claim is made before the start
// is sent, so that two starts of one stream id cannot go to two nodes.
type streamTable struct {
	mu    sync.Mutex
	nodes map[string]string
}

func newStreamTable() *streamTable { return &streamTable{nodes: map[string]string{}} }

// claim places a stream on a node unless it is placed already (on a node for which stale
// says false).
func (t *streamTable) claim(streamID, node string, stale func(node string) bool) (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if cur, ok := t.nodes[streamID]; ok && !stale(cur) {
		return cur, false
	}
	t.nodes[streamID] = node
	return node, true
}

func (t *streamTable) get(streamID string) (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n, ok := t.nodes[streamID]
	return n, ok
}

// set records where a stream runs (learnt from a node's status).
func (t *streamTable) set(streamID, node string) {
	t.mu.Lock()
	t.nodes[streamID] = node
	t.mu.Unlock()
}

// release forgets a stream's placement on node.
func (t *streamTable) release(streamID, node string) {
	t.mu.Lock()
	if t.nodes[streamID] == node {
		delete(t.nodes, streamID)
	}
	t.mu.Unlock()
}
