package controller

import "sync"

// vodIDs are the VoD ids handed out when a stream's recording was turned on: the file the
// recording becomes is listed under it, so that the id the toggle answered finds it.
type vodIDs struct {
	mu       sync.Mutex
	byStream map[string]string
}

// reserve sets the id the stream's next recording gets and returns the one it replaces.
func (r *vodIDs) reserve(streamID, id string) (prev string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byStream == nil {
		r.byStream = map[string]string{}
	}
	prev = r.byStream[streamID]
	r.byStream[streamID] = id
	return prev
}

// restore undoes reserve(streamID, id), unless another reservation came since.
func (r *vodIDs) restore(streamID, id, prev string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byStream[streamID] != id {
		return
	}
	if prev == "" {
		delete(r.byStream, streamID)
	} else {
		r.byStream[streamID] = prev
	}
}

// take returns and forgets the id reserved for the stream's next recording.
func (r *vodIDs) take(streamID string) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	id, ok := r.byStream[streamID]
	delete(r.byStream, streamID)
	return id, ok
}
