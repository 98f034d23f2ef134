package rooms

import (
	"errors"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// TestTrickleCandidates publishes with an offer that carries no candidate, as a browser's
// first offer does, then hands the publisher's candidates over one by one.
func TestTrickleCandidates(t *testing.T) {
	h := newHub(t, nil)
	pc := audioClient(t)
	candidates := make(chan webrtc.ICECandidateInit, 16)
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c != nil {
			candidates <- c.ToJSON()
		}
	})
	connected := make(chan struct{})
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			close(connected)
		}
	})
	offer, _ := setOffer(t, pc)
	answer, session, err := h.Publish("tr", PublishOptions{}, offer.SDP)
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatal(err)
	}
	if err := h.AddCandidate("tr", "not-the-session", webrtc.ICECandidateInit{Candidate: "candidate:1 1 udp 1 127.0.0.1 9 typ host"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("a candidate for another session: %v, want ErrNotFound", err)
	}
	if err := h.AddCandidate("tr", session, webrtc.ICECandidateInit{Candidate: "candidate:nonsense"}); !errors.Is(err, ErrBadOffer) {
		t.Errorf("a malformed candidate: %v, want ErrBadOffer", err)
	}
	timeout := time.After(10 * time.Second)
	for {
		select {
		case c := <-candidates:
			if err := h.AddCandidate("tr", session, c); err != nil {
				t.Fatalf("candidate %q: %v", c.Candidate, err)
			}
		case <-connected:
			return
		case <-timeout:
			t.Fatal("the publisher did not connect with trickled candidates")
		}
	}
}

// audioClient is a peer connection that sends one Opus track, closed when the test ends.
func audioClient(t *testing.T) *webrtc.PeerConnection {
	t.Helper()
	pc, err := webrtc.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	track, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "audio", "a")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pc.AddTrack(track); err != nil {
		t.Fatal(err)
	}
	return pc
}

// setOffer makes pc's offer and sets it: the offer holds no candidate yet; gathered is closed
// once they are all in pc's local description.
func setOffer(t *testing.T, pc *webrtc.PeerConnection) (offer webrtc.SessionDescription, gathered <-chan struct{}) {
	t.Helper()
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered = webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	return offer, gathered
}
