package rooms

import (
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// TestPlayerOffersTracksAsTheyAppear: a stream that gains a track after it joined the player
// (a publisher whose audio comes later) is offered again with it, in the room's media stream;
// a stream removed is offered without its tracks.
func TestPlayerOffersTracksAsTheyAppear(t *testing.T) {
	h := newHub(t, nil)
	s, err := h.Add(StreamInfo{ID: "late", Kind: KindMediaPush, Room: "r"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddTrack(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}); err != nil {
		t.Fatal(err)
	}
	type offer struct {
		sdp     string
		mapping map[string]string
	}
	offers := make(chan offer, 4)
	closed := make(chan struct{})
	p, err := h.NewPlayer(PlayerOptions{StreamID: "r",
		Offer:   func(sdp string, m map[string]string) { offers <- offer{sdp, m} },
		OnClose: func() { close(closed) }})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if !p.Add("late") || p.Add("nobody") {
		t.Fatal("Add: want true for a live stream, false for none")
	}
	select {
	case o := <-offers:
		t.Fatalf("an offer before Start: %v", o.mapping)
	case <-time.After(1500 * time.Millisecond): // longer than the player's recheck
	}
	p.Start()
	pc, err := webrtc.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	answer := func(want string) {
		t.Helper()
		var o offer
		deadline := time.After(10 * time.Second)
		for {
			select {
			case o = <-offers:
			case <-deadline:
				t.Fatalf("no offer with %s", want)
			}
			if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: o.sdp}); err != nil {
				t.Fatal(err)
			}
			a, err := pc.CreateAnswer(nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := pc.SetLocalDescription(a); err != nil {
				t.Fatal(err)
			}
			if err := p.Answer(a.SDP); err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, id := range o.mapping {
				ids = append(ids, id)
			}
			if strings.Contains(strings.Join(ids, ","), want) {
				if !strings.Contains(o.sdp, "msid:r "+want) {
					t.Errorf("the offer does not send %s in the room's stream:\n%s", want, o.sdp)
				}
				return
			}
		}
	}
	answer("ARDAMSvlate")
	if err := p.Answer("v=0"); err == nil {
		t.Error("an answer with no offer out was taken")
	}
	if _, err := s.AddTrack(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}); err != nil {
		t.Fatal(err)
	}
	answer("ARDAMSalate")
	p.Remove("late")
	select {
	case o := <-offers:
		if strings.Contains(o.sdp, "msid:r ARDAMS") {
			t.Errorf("after Remove the offer still sends a track:\n%s", o.sdp)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no offer after Remove")
	}
	p.Close()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("OnClose was not called")
	}
}
