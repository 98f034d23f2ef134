package rooms

import (
	"crypto/subtle"
	"fmt"

	"github.com/pion/webrtc/v4"
)

// AddCandidate gives a publication or a viewing, named by its stream and session id, an ICE
// candidate of its remote peer that came after the offer (trickle ICE). A peer whose
// candidates never come still connects: answers carry every candidate of this side, and
// checks from the peer reveal its address.
func (h *Hub) AddCandidate(streamID, session string, c webrtc.ICECandidateInit) error {
	s, ok := h.Stream(streamID)
	if !ok {
		return fmt.Errorf("stream %s is not live: %w", streamID, ErrNotFound)
	}
	s.mu.Lock()
	add := s.addCandidate
	own := s.session != "" && subtle.ConstantTimeCompare([]byte(session), []byte(s.session)) == 1
	s.mu.Unlock()
	if !own {
		v := s.viewer(session)
		if v == nil {
			return fmt.Errorf("no session %s of stream %s: %w", session, streamID, ErrNotFound)
		}
		add = v.pc.AddICECandidate
	}
	if add == nil {
		return fmt.Errorf("session %s of stream %s takes no candidates: %w", session, streamID, ErrNotFound)
	}
	if err := add(c); err != nil {
		return fmt.Errorf("%w: candidate %q: %v", ErrBadOffer, c.Candidate, err)
	}
	return nil
}
