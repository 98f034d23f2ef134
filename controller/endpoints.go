package controller

import (
	"errors"
	"sync"

	"mediapush/catalog"
	"mediapush/worker"
)

// Ant Media lets endpoints be added to a broadcast before it goes live; they start when it
// does. mediapush keeps such pushes here, in memory, until a session with the stream id
// starts: they become its pushes then (and end with it). They do not survive a restart.

// pendingPush is a push waiting for its session.
type pendingPush struct {
	id, target, token string
}

// Bounds of the waiting pushes: a caller cannot fill the memory with them.
const (
	maxPendingPerStream = 16
	maxPendingStreams   = 1000
)

type pendingPushes struct {
	mu       sync.Mutex
	byStream map[string][]pendingPush
}

func (p *pendingPushes) add(streamID string, push pendingPush) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.byStream == nil {
		p.byStream = map[string][]pendingPush{}
	}
	list := p.byStream[streamID]
	if list == nil && len(p.byStream) >= maxPendingStreams {
		return &Error{Code: 429, Message: "too many streams have endpoints waiting for their session; start those or remove their endpoints"}
	}
	if len(list) >= maxPendingPerStream {
		return &Error{Code: 429, Message: "stream " + streamID + " has as many endpoints waiting as it may"}
	}
	for _, q := range list {
		if q.target == push.target {
			return &Error{Code: 409, Message: "stream " + streamID + " has an endpoint with this URL already"}
		}
	}
	p.byStream[streamID] = append(list, push)
	return nil
}

// take removes and returns the pushes waiting for streamID.
func (p *pendingPushes) take(streamID string) []pendingPush {
	p.mu.Lock()
	defer p.mu.Unlock()
	list := p.byStream[streamID]
	delete(p.byStream, streamID)
	return list
}

// remove drops one waiting push; it reports whether there was one.
func (p *pendingPushes) remove(streamID, id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	list := p.byStream[streamID]
	for i, q := range list {
		if q.id == id {
			list = append(list[:i:i], list[i+1:]...)
			if len(list) == 0 {
				delete(p.byStream, streamID)
			} else {
				p.byStream[streamID] = list
			}
			return true
		}
	}
	return false
}

func (p *pendingPushes) list(streamID string) []pendingPush {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]pendingPush(nil), p.byStream[streamID]...)
}

// addPending keeps a push for a stream with no session yet. A session that started in the
// meantime takes it at once.
func (s *Service) addPending(streamID, target, token string) (string, error) {
	if err := validStreamID(streamID); err != nil {
		return "", badRequest(err)
	}
	id := worker.NewEndpointID()
	if err := s.pending.add(streamID, pendingPush{id: id, target: target, token: token}); err != nil {
		return "", err
	}
	s.startPending(streamID)
	return id, nil
}

// startPending hands the pushes waiting for streamID to its session, if it runs: they start
// when its media flows.
func (s *Service) startPending(streamID string) {
	if _, err := s.runner.Endpoints(streamID); err != nil {
		return
	}
	for _, p := range s.pending.take(streamID) {
		if _, err := s.runner.AddEndpoint(streamID, p.id, p.target, p.token); err != nil {
			s.log.Warn().Err(err).Str("streamId", streamID).Str("endpoint", p.id).Str("url", worker.RedactEndpoint(p.target)).
				Msg("an endpoint added before the session could not start")
		}
	}
}

// endpointList is a stream's pushes as Ant Media lists them: its session's, then those waiting.
func (s *Service) endpointList(streamID string) []catalog.Endpoint {
	var out []catalog.Endpoint
	if eps, err := s.runner.Endpoints(streamID); err == nil {
		for _, e := range eps {
			out = append(out, catalog.Endpoint{EndpointServiceID: e.ID, EndpointURL: e.URL, RTMPURL: e.URL, Type: endpointType(e.URL),
				Status: string(e.Status.State), Restarts: e.Status.Restarts, Error: e.Status.Err})
		}
	}
	for _, p := range s.pending.list(streamID) {
		u := worker.RedactEndpoint(p.target)
		out = append(out, catalog.Endpoint{EndpointServiceID: p.id, EndpointURL: u, RTMPURL: u, Type: endpointType(p.target),
			Status: catalog.StatusCreated})
	}
	return out
}

// endpointType is Ant Media's type of an endpoint: generic for RTMP; whip for mediapush's WHIP pushes.
func endpointType(target string) string {
	if pushTarget(target) == "the WHIP endpoint" {
		return "whip"
	}
	return "generic"
}

// removePending drops a waiting push; it answers like a session's removal otherwise.
func (s *Service) removePending(streamID, id string, sessionErr error) error {
	if s.pending.remove(streamID, id) {
		return nil
	}
	if errors.Is(sessionErr, worker.ErrNotFound) || errors.Is(sessionErr, worker.ErrNoEndpoint) {
		return notFound("stream %s has no endpoint %s", streamID, id)
	}
	return sessionErr
}
