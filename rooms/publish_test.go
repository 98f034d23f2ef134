package rooms

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"mediapush/internal/rtc"
)

// defaultPublisher is a pion client with pion's default codecs (VP8 offered first) sending
// tracks of the given codecs, as any WHIP client built on pion does. It publishes id and
// sends packets until the test ends; sendOnly limits which of its tracks carry packets.
func defaultPublisher(t *testing.T, h *Hub, id, room string, caps []webrtc.RTPCodecCapability, sendOnly ...string) {
	t.Helper()
	pc, err := webrtc.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	var sending []*webrtc.TrackLocalStaticRTP
	for _, c := range caps {
		kind := "video"
		if c.ClockRate != 90000 {
			kind = "audio"
		}
		tr, err := webrtc.NewTrackLocalStaticRTP(c, kind, id)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pc.AddTransceiverFromTrack(tr, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}); err != nil {
			t.Fatal(err)
		}
		if len(sendOnly) == 0 || strings.Contains(strings.Join(sendOnly, " "), kind) {
			sending = append(sending, tr)
		}
	}
	_, gathered := setOffer(t, pc)
	<-gathered
	if i, j := strings.Index(pc.LocalDescription().SDP, "VP8/90000"), strings.Index(pc.LocalDescription().SDP, "H264/90000"); len(caps) > 0 && caps[0].ClockRate == 90000 && (i < 0 || j < 0 || i > j) {
		t.Fatalf("the client does not offer VP8 before H264:\n%s", pc.LocalDescription().SDP)
	}
	answer, _, err := h.Publish(id, PublishOptions{Room: room}, pc.LocalDescription().SDP)
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
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
			for _, tr := range sending {
				// The relay never decodes: any payload shows which codec it carries.
				tr.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: uint32(seq) * 3000, Marker: true},
					Payload: []byte{0x10, 0x02, 0x03, 0x04}}) //nolint:errcheck // until the test ends
			}
		}
	}()
}

// viewCodecs plays a stream as a pion viewer with default codecs and returns the MIME types
// of the tracks it receives.
func viewCodecs(t *testing.T, h *Hub, id string, want int) []string {
	t.Helper()
	pc, err := webrtc.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	for _, k := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
		if _, err := pc.AddTransceiverFromKind(k, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			t.Fatal(err)
		}
	}
	got := make(chan string, 4)
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		if _, _, err := tr.ReadRTP(); err == nil {
			got <- tr.Codec().MimeType
		}
	})
	_, gathered := setOffer(t, pc)
	<-gathered
	answer, _, err := h.Play(id, pc.LocalDescription().SDP)
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatal(err)
	}
	var codecs []string
	timeout := time.After(15 * time.Second)
	for len(codecs) < want {
		select {
		case c := <-got:
			codecs = append(codecs, c)
		case <-timeout:
			t.Fatalf("the viewer received %v, want %d tracks", codecs, want)
		}
	}
	return codecs
}

var h264 = rtc.H264("42e01f", 0).RTPCodecCapability

// TestPublisherCodecs publishes with a client that offers every codec of pion's defaults and
// sends one of them: the stream and its viewers carry the codec sent.
func TestPublisherCodecs(t *testing.T) {
	for _, c := range []struct {
		cap  webrtc.RTPCodecCapability
		name string
	}{
		{h264, "H264"},
		{webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "VP8"},
		{webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP9, ClockRate: 90000, SDPFmtpLine: "profile-id=0"}, "VP9"},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newHub(t, nil)
			defaultPublisher(t, h, "cam", "room", []webrtc.RTPCodecCapability{c.cap})
			got := viewCodecs(t, h, "cam", 1)
			if got[0] != "video/"+c.name {
				t.Errorf("the viewer receives %v, want video/%s", got, c.name)
			}
			if p := h.Participants("room"); len(p) != 1 || p[0].Video != c.name || p[0].Audio != "" {
				t.Errorf("participants: %+v, want cam with %s video", p, c.name)
			}
		})
	}
}

// TestPublisherAnnounced shows that watchers hear of a publisher once all its tracks exist,
// and that one offering audio and video but sending only audio appears with its audio.
func TestPublisherAnnounced(t *testing.T) {
	h := newHub(t, nil)
	opus := rtc.Opus("").RTPCodecCapability
	type heard struct {
		info   StreamInfo
		tracks int
	}
	started := make(chan heard, 4)
	h.Watch(func(info StreamInfo, on bool) {
		if on {
			s, _ := h.Stream(info.ID)
			started <- heard{info, len(s.localTracks())}
		}
	})
	defaultPublisher(t, h, "both", "room", []webrtc.RTPCodecCapability{h264, opus})
	select {
	case got := <-started:
		if got.info.ID != "both" || got.info.Video != "H264" || got.info.Audio != "OPUS" || got.tracks != 2 {
			t.Errorf("started %+v with %d tracks, want both with H264 and OPUS", got.info, got.tracks)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the publisher was not announced")
	}
	if got := viewCodecs(t, h, "both", 2); len(got) != 2 {
		t.Errorf("the viewer receives %v", got)
	}

	defaultPublisher(t, h, "mute-camera", "room", []webrtc.RTPCodecCapability{h264, opus}, "audio")
	if p := h.Participants("room"); len(p) != 1 {
		t.Errorf("a publisher whose tracks are not known yet is listed: %+v", p)
	}
	select {
	case got := <-started:
		if got.info.ID != "mute-camera" || got.info.Video != "" || got.info.Audio != "OPUS" || got.tracks != 1 {
			t.Errorf("started %+v with %d tracks, want mute-camera with its audio only", got.info, got.tracks)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("a publisher sending only audio was not announced")
	}
	if p := h.Participants("room"); len(p) != 2 {
		t.Errorf("participants: %+v, want both publishers", p)
	}
}

func TestPublishSendsNothing(t *testing.T) {
	h := newHub(t, nil)
	offer := strings.Replace(av1Offer, "45 AV1/90000", "96 VP8/90000", 1)
	offer = strings.Replace(offer, "m=video 9 UDP/TLS/RTP/SAVPF 45", "m=video 9 UDP/TLS/RTP/SAVPF 96", 1)
	if _, _, err := h.Publish("x", PublishOptions{}, strings.Replace(offer, "sendonly", "recvonly", 1)); !errors.Is(err, ErrBadOffer) || !strings.Contains(err.Error(), "sends neither") {
		t.Errorf("a recvonly offer: %v, want ErrBadOffer", err)
	}
	if _, ok := h.Stream("x"); ok {
		t.Error("a refused offer left its stream behind")
	}
}
