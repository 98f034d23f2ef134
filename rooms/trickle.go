package rooms

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"

	"github.com/pion/webrtc/v4"
)

// iceSession is the ICE side of a publication or a viewing: how to give it a remote candidate
// and what its peer's description said.
type iceSession struct {
	add    func(webrtc.ICECandidateInit) error
	remote func() *webrtc.SessionDescription
}

// iceSessionOf finds the publication or viewing of a stream by its session id.
func (h *Hub) iceSessionOf(streamID, session string) (iceSession, error) {
	s, ok := h.Stream(streamID)
	if !ok {
		return iceSession{}, fmt.Errorf("stream %s is not live: %w", streamID, ErrNotFound)
	}
	s.mu.Lock()
	is := iceSession{add: s.addCandidate, remote: s.remoteDescription}
	own := s.session != "" && subtle.ConstantTimeCompare([]byte(session), []byte(s.session)) == 1
	s.mu.Unlock()
	if !own {
		v := s.viewer(session)
		if v == nil {
			return iceSession{}, fmt.Errorf("no session %s of stream %s: %w", session, streamID, ErrNotFound)
		}
		is = iceSession{add: v.pc.AddICECandidate, remote: v.pc.RemoteDescription}
	}
	if is.add == nil {
		return iceSession{}, fmt.Errorf("session %s of stream %s takes no candidates: %w", session, streamID, ErrNotFound)
	}
	return is, nil
}

// AddCandidate gives a publication or a viewing, named by its stream and session id, an ICE
// candidate of its remote peer that came after the offer (trickle ICE). A peer whose
// candidates never come still connects: answers carry every candidate of this side, and
// checks from the peer reveal its address.
func (h *Hub) AddCandidate(streamID, session string, c webrtc.ICECandidateInit) error {
	is, err := h.iceSessionOf(streamID, session)
	if err != nil {
		return err
	}
	if err := is.add(c); err != nil {
		return fmt.Errorf("%w: candidate %q: %v", ErrBadOffer, c.Candidate, err)
	}
	return nil
}

// ICETag names the ICE session of a publication or a viewing: the entity tag WHIP and WHEP
// (RFC 9725) give it, so that a client's trickled candidates are not applied to another ICE
// session than the one they were gathered for. The ICE session never restarts here, so the
// tag of a session stays the same; it is derived from the session id and the peer's ICE
// credentials, and tells nothing about either.
func (h *Hub) ICETag(streamID, session string) (string, error) {
	is, err := h.iceSessionOf(streamID, session)
	if err != nil {
		return "", err
	}
	ufrag, pwd := "", ""
	if is.remote != nil {
		ufrag, pwd = iceCredentials(is.remote())
	}
	sum := sha256.Sum256([]byte(session + "\n" + ufrag + "\n" + pwd))
	return hex.EncodeToString(sum[:12]), nil
}

// Trickle applies an "application/trickle-ice-sdpfrag" body (RFC 8840) sent to a publication's
// or a viewing's WHIP/WHEP session: each of its candidates is added. A fragment with other ICE
// credentials than the peer's offer asks for an ICE restart, which this server does not do
// (ErrICERestart); the ICE session goes on as it was. A candidate that cannot be used (its
// address does not resolve, say) is skipped, as RFC 9725 asks.
func (h *Hub) Trickle(streamID, session, fragment string) error {
	is, err := h.iceSessionOf(streamID, session)
	if err != nil {
		return err
	}
	f, err := parseICEFragment(fragment)
	if err != nil {
		return err
	}
	if f.ufrag != "" && is.remote != nil {
		ufrag, pwd := iceCredentials(is.remote())
		if f.ufrag != ufrag || (f.pwd != "" && f.pwd != pwd) {
			return fmt.Errorf("%w: the fragment's ICE credentials are not the session's", ErrICERestart)
		}
	}
	for _, c := range f.candidates {
		if err := is.add(c); err != nil {
			h.log.Debug().Err(err).Str("streamId", streamID).Msg("a trickled ICE candidate is skipped")
		}
	}
	if f.end {
		if err := is.add(webrtc.ICECandidateInit{}); err != nil {
			h.log.Debug().Err(err).Str("streamId", streamID).Msg("end of candidates not applied")
		}
	}
	return nil
}
