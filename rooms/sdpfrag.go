package rooms

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pion/ice/v4"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// iceFragment is what an "application/trickle-ice-sdpfrag" body (RFC 8840) carries: the ICE
// credentials of the sender's ICE session and its candidates.
type iceFragment struct {
	ufrag, pwd string
	candidates []webrtc.ICECandidateInit
	end        bool // a=end-of-candidates: the peer has gathered them all
}

// fragmentHeader makes a fragment a session description that pion/sdp reads: a fragment has
// no v=, o=, s= or t= line, and its session-level attributes follow them.
const fragmentHeader = "v=0\r\no=- 0 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"

// parseICEFragment reads an SDP fragment. Candidates of a transport or type this server cannot
// use are left out, as RFC 9725 asks; a malformed one makes the fragment malformed.
func parseICEFragment(body string) (iceFragment, error) {
	var f iceFragment
	if strings.TrimSpace(body) == "" {
		return f, fmt.Errorf("%w: it is empty", ErrBadFragment)
	}
	if strings.HasPrefix(strings.TrimSpace(body), "v=") {
		return f, fmt.Errorf("%w: it is a whole session description; send only the ICE lines", ErrBadFragment)
	}
	var d sdp.SessionDescription
	if err := d.UnmarshalString(fragmentHeader + body); err != nil {
		return f, fmt.Errorf("%w: %v", ErrBadFragment, err)
	}
	if err := f.read(d.Attributes, "", nil); err != nil {
		return f, err
	}
	for i, m := range d.MediaDescriptions {
		mid, _ := m.Attribute("mid")
		index := uint16(min(i, 0xffff)) //nolint:gosec // bounded
		if err := f.read(m.Attributes, mid, &index); err != nil {
			return f, err
		}
	}
	return f, nil
}

// read takes the ICE attributes of one level of the fragment: the session's or a media
// section's (mid, index).
func (f *iceFragment) read(attrs []sdp.Attribute, mid string, index *uint16) error {
	for _, a := range attrs {
		switch a.Key {
		case "ice-ufrag":
			if f.ufrag != "" && f.ufrag != a.Value {
				return fmt.Errorf("%w: it names two ICE sessions (ice-ufrag %q and %q)", ErrBadFragment, f.ufrag, a.Value)
			}
			f.ufrag = a.Value
		case "ice-pwd":
			if f.pwd != "" && f.pwd != a.Value {
				return fmt.Errorf("%w: it carries two ICE passwords", ErrBadFragment)
			}
			f.pwd = a.Value
		case "end-of-candidates":
			f.end = true
		case sdp.AttrKeyCandidate:
			if _, err := ice.UnmarshalCandidate(a.Value); err != nil {
				if errors.Is(err, ice.ErrUnknownCandidateTyp) || errors.Is(err, ice.ErrDetermineNetworkType) {
					continue
				}
				return fmt.Errorf("%w: candidate %q: %v", ErrBadFragment, a.Value, err)
			}
			c := webrtc.ICECandidateInit{Candidate: "candidate:" + a.Value, SDPMLineIndex: index}
			if mid != "" {
				c.SDPMid = &mid
			}
			f.candidates = append(f.candidates, c)
		}
	}
	return nil
}

// iceCredentials are the ICE username fragment and password of a session description: of its
// session level, or else of its first media section (bundled, they are the same for all).
func iceCredentials(desc *webrtc.SessionDescription) (ufrag, pwd string) {
	if desc == nil {
		return "", ""
	}
	// Parsed from the text: desc is the connection's own, and its Unmarshal caches into it
	// while the connection reads it.
	d := &sdp.SessionDescription{}
	if err := d.UnmarshalString(desc.SDP); err != nil {
		return "", ""
	}
	ufrag, _ = d.Attribute("ice-ufrag")
	pwd, _ = d.Attribute("ice-pwd")
	for _, m := range d.MediaDescriptions {
		if ufrag == "" {
			ufrag, _ = m.Attribute("ice-ufrag")
		}
		if pwd == "" {
			pwd, _ = m.Attribute("ice-pwd")
		}
	}
	return ufrag, pwd
}
