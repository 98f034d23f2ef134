package rooms

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// sendOffer is a publisher's offer of one video and one audio track.
func sendOffer(t *testing.T) string {
	t.Helper()
	pc, err := webrtc.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() }) //nolint:errcheck // test end
	for _, k := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
		if _, err := pc.AddTransceiverFromKind(k, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}); err != nil {
			t.Fatal(err)
		}
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	return offer.SDP
}

// A session's stream relayed from a worker node is published like a participant's, but no
// watcher hears of it; a new publication of it replaces the old, and never a stream of this
// process's own.
func TestRelayedSessionStream(t *testing.T) {
	h, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	var heard atomic.Int32
	h.Watch(func(StreamInfo, bool) { heard.Add(1) })
	relayed := PublishOptions{Kind: KindMediaPush, Replace: true}

	relayVideo(t, h, "s1", relayed)
	first, _ := h.Stream("s1")
	waitUntil(t, "the relayed video started", func() bool { return first.Info().Video == "VP8" && first.isAnnounced() })
	if _, _, err := h.Publish("s1", PublishOptions{Kind: KindMediaPush}, sendOffer(t)); !errors.Is(err, ErrExists) {
		t.Errorf("a second publication without Replace: %v, want ErrExists", err)
	}
	if _, _, err := h.Publish("s1", relayed, sendOffer(t)); err != nil {
		t.Fatalf("a second publication with Replace: %v", err)
	}
	second, _ := h.Stream("s1")
	select {
	case <-first.Done():
	default:
		t.Error("the replaced stream still runs")
	}
	if second == first || second.Info().Kind != KindMediaPush {
		t.Errorf("after the replacement: %+v, want a new media-push stream", second.Info())
	}
	second.Close("the session ended")
	if n := heard.Load(); n != 0 {
		t.Errorf("watchers heard %d times of a relayed session's stream, want never", n)
	}

	own, err := h.Add(StreamInfo{ID: "s2", Kind: KindMediaPush}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.Publish("s2", relayed, sendOffer(t)); !errors.Is(err, ErrExists) {
		t.Errorf("relaying over a session of this process: %v, want ErrExists", err)
	}
	select {
	case <-own.Done():
		t.Error("a relayed publication ended a session stream of this process")
	default:
	}
}

// relayVideo publishes id with opts and sends VP8 packets until the test ends.
func relayVideo(t *testing.T, h *Hub, id string, opts PublishOptions) {
	t.Helper()
	pc, err := webrtc.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() }) //nolint:errcheck // test end
	tr, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "video", id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pc.AddTransceiverFromTrack(tr, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}); err != nil {
		t.Fatal(err)
	}
	_, gathered := setOffer(t, pc)
	<-gathered
	answer, _, err := h.Publish(id, opts, pc.LocalDescription().SDP)
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatal(err)
	}
	stop, done := make(chan struct{}), make(chan struct{})
	t.Cleanup(func() { close(stop); <-done })
	go func() {
		defer close(done)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for seq := uint16(0); ; seq++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			tr.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: uint32(seq) * 1800, Marker: true},
				Payload: []byte{0x10, 0x02, 0x03, 0x04}}) //nolint:errcheck // until the test ends
		}
	}()
}

// waitUntil polls cond, bounded.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10 s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
