package rooms

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// whipFragment is a fragment as the whip-whep npm client sends it.
const whipFragment = "a=ice-ufrag:EsAw\r\na=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\n" +
	"m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n" +
	"a=candidate:1387637174 1 udp 2122260223 192.0.2.1 61764 typ host generation 0 ufrag EsAw network-id 1\r\n" +
	"a=candidate:473322822 1 tcp 1518280447 192.0.2.1 9 typ host tcptype active generation 0\r\n" +
	"a=end-of-candidates\r\n"

func TestParseICEFragment(t *testing.T) {
	f, err := parseICEFragment(whipFragment)
	if err != nil {
		t.Fatal(err)
	}
	if f.ufrag != "EsAw" || f.pwd != "P2uYro0UCOQ4zxjKXaWCBui1" || !f.end || len(f.candidates) != 2 {
		t.Fatalf("parsed %+v", f)
	}
	c := f.candidates[0]
	if !strings.HasPrefix(c.Candidate, "candidate:1387637174 1 udp") || c.SDPMid == nil || *c.SDPMid != "0" ||
		c.SDPMLineIndex == nil || *c.SDPMLineIndex != 0 {
		t.Errorf("first candidate %+v", c)
	}
	// The RFC's example: session attributes first, a bundle group, LF line ends accepted too.
	lf := "a=ice-options:trickle ice2\na=group:BUNDLE 0 1\nm=audio 9 UDP/TLS/RTP/SAVPF 111\na=mid:0\n" +
		"a=ice-ufrag:ysXw\na=ice-pwd:vw5LmwG4y/e6dPP/zAP9Gp5k\n" +
		"a=candidate:1 1 udp 2130706431 198.51.100.1 39132 typ host\n" +
		"a=candidate:2 1 udp 1 198.51.100.1 39133 typ nonsense\n"
	if f, err := parseICEFragment(lf); err != nil || f.ufrag != "ysXw" || len(f.candidates) != 1 || f.end {
		t.Errorf("RFC example: %+v %v (an unknown candidate type is skipped)", f, err)
	}
	for _, c := range []struct{ name, frag, want string }{
		{"empty", " \r\n", "empty"},
		{"a whole SDP", "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n", "whole session description"},
		{"not SDP", "hello", ""},
		{"two ufrags", "a=ice-ufrag:a\r\nm=audio 9 RTP/AVP 0\r\na=ice-ufrag:b\r\n", "two ICE sessions"},
		{"broken candidate", "a=candidate:1 1 udp\r\n", "candidate"},
	} {
		_, err := parseICEFragment(c.frag)
		if !errors.Is(err, ErrBadFragment) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want ErrBadFragment naming %q", c.name, err, c.want)
		}
	}
}

// A fragment is refused with ErrBadFragment, or parses into candidates that pion reads.
func FuzzParseICEFragment(f *testing.F) {
	f.Add(whipFragment)
	f.Add("a=ice-ufrag:x\na=candidate:1 1 udp 1 1.2.3.4 5 typ host\n")
	f.Add("m=audio 9 RTP/AVP 0\r\na=end-of-candidates\r\n")
	f.Add("a=candidate:1 1 tcp 1 host.local 9 typ host tcptype passive\r\n")
	f.Add("")
	f.Add("\x00")
	f.Fuzz(func(t *testing.T, body string) {
		frag, err := parseICEFragment(body)
		if err != nil {
			if !errors.Is(err, ErrBadFragment) {
				t.Fatalf("%q: %v is not ErrBadFragment", body, err)
			}
			return
		}
		for _, c := range frag.candidates {
			if !strings.HasPrefix(c.Candidate, "candidate:") || c.SDPMLineIndex == nil && c.SDPMid != nil {
				t.Fatalf("%q: candidate %+v", body, c)
			}
		}
	})
}

// TestTrickleFragment publishes with an offer that carries no candidate and trickles the
// client's candidates in one fragment, which is accepted; a fragment with other ICE
// credentials is an ICE restart, refused without harm to the session.
func TestTrickleFragment(t *testing.T) {
	h := newHub(t, nil)
	pc := audioClient(t)
	connected := make(chan struct{})
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			close(connected)
		}
	})
	offer, gathered := setOffer(t, pc)
	answer, session, err := h.Publish("tf", PublishOptions{}, offer.SDP) // before any candidate
	if err != nil {
		t.Fatal(err)
	}
	tag, err := h.ICETag("tf", session)
	if err != nil || tag == "" {
		t.Fatalf("ICE tag: %q %v", tag, err)
	}
	if _, err := h.ICETag("tf", "other"); !errors.Is(err, ErrNotFound) {
		t.Errorf("the tag of another session: %v, want ErrNotFound", err)
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatal(err)
	}
	<-gathered
	local, err := pc.LocalDescription().Unmarshal()
	if err != nil {
		t.Fatal(err)
	}
	var frag strings.Builder
	m := local.MediaDescriptions[0]
	ufrag, _ := m.Attribute("ice-ufrag")
	pwd, _ := m.Attribute("ice-pwd")
	frag.WriteString("a=ice-ufrag:" + ufrag + "\r\na=ice-pwd:" + pwd + "\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n")
	for _, a := range m.Attributes {
		if a.IsICECandidate() {
			frag.WriteString("a=candidate:" + a.Value + "\r\n")
		}
	}
	frag.WriteString("a=end-of-candidates\r\n")

	restart := strings.Replace(frag.String(), "a=ice-ufrag:"+ufrag, "a=ice-ufrag:new"+ufrag, 1)
	if err := h.Trickle("tf", session, restart); !errors.Is(err, ErrICERestart) {
		t.Errorf("an ICE restart: %v, want ErrICERestart", err)
	}
	if err := h.Trickle("tf", "other", frag.String()); !errors.Is(err, ErrNotFound) {
		t.Errorf("another session: %v, want ErrNotFound", err)
	}
	if err := h.Trickle("tf", session, frag.String()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-connected:
	case <-time.After(10 * time.Second):
		t.Fatal("the publisher did not connect")
	}
	if again, _ := h.ICETag("tf", session); again != tag {
		t.Errorf("the ICE tag changed from %q to %q without a restart", tag, again)
	}
}

// TestTrickleViewer trickles to a WHEP viewing: its session has an ICE tag of its own, takes
// the viewer's fragment and refuses an ICE restart.
func TestTrickleViewer(t *testing.T) {
	h := newHub(t, nil)
	defaultPublisher(t, h, "cam", "", []webrtc.RTPCodecCapability{{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}})
	pc, err := webrtc.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		t.Fatal(err)
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	_, session, err := h.Play("cam", offer.SDP)
	if err != nil {
		t.Fatal(err)
	}
	if tag, err := h.ICETag("cam", session); err != nil || tag == "" {
		t.Errorf("the viewing's ICE tag: %q %v", tag, err)
	}
	d, err := offer.Unmarshal()
	if err != nil {
		t.Fatal(err)
	}
	ufrag, _ := d.MediaDescriptions[0].Attribute("ice-ufrag")
	frag := "a=ice-ufrag:" + ufrag + "\r\nm=video 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n" +
		"a=candidate:1 1 udp 2130706431 127.0.0.1 9 typ host\r\n"
	if err := h.Trickle("cam", session, frag); err != nil {
		t.Errorf("the viewer's candidates: %v", err)
	}
	if err := h.Trickle("cam", session, strings.ReplaceAll(frag, ufrag, "other")); !errors.Is(err, ErrICERestart) {
		t.Errorf("a viewer's ICE restart: %v, want ErrICERestart", err)
	}
}
