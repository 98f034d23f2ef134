package controller

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/rs/zerolog"

	"mediapush/rooms"
	"mediapush/worker"
)

const testClusterToken = "cluster-token-for-tests-0123456789"

// liveCluster is a controller without sessions of its own, with the session "placed" running
// on worker node w1 (no Chromium), served over HTTP.
func liveCluster(t *testing.T, token string) (*Controller, *httptest.Server) {
	t.Helper()
	connect := testBroker(t)
	testNode(t, connect)
	ctx := context.Background()
	c, err := Open(Config{DataDir: t.TempDir(), Log: zerolog.Nop(),
		Cluster: ClusterConfig{Conn: connect("controller"), NoLocalSessions: true, Token: token}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(ctx) }) //nolint:errcheck // test end
	waitFor(t, "w1 heard", func() bool { return len(c.Nodes()) == 1 && c.Nodes()[0].Live })
	if err := c.svc.runner.Start(ctx, worker.Job{StreamID: "placed", URL: "https://example.com/", Width: 640, Height: 360}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(c.Handler())
	t.Cleanup(srv.Close)
	return c, srv
}

// offerLive is a worker node's WHIP offer: one video and one audio track, sent only.
func offerLive(t *testing.T) string {
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

func postLive(t *testing.T, srv *httptest.Server, node, streamID, auth, offer string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, ClusterLiveURL(srv.URL, node, streamID), strings.NewReader(offer))
	req.Header.Set("Content-Type", "application/sdp")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		body.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp.StatusCode, body.String()
}

func TestClusterLiveRouteAuth(t *testing.T) {
	c, srv := liveCluster(t, testClusterToken)
	offer := offerLive(t)
	for _, tc := range []struct {
		name, node, streamID, auth string
		want                       int
	}{
		{"no token", "w1", "placed", "", http.StatusUnauthorized},
		{"not a bearer", "w1", "placed", testClusterToken, http.StatusUnauthorized},
		{"wrong token", "w1", "placed", "Bearer " + strings.Repeat("x", len(testClusterToken)), http.StatusUnauthorized},
		{"a prefix of the token", "w1", "placed", "Bearer " + testClusterToken[:8], http.StatusUnauthorized},
		{"unknown stream", "w1", "nowhere", "Bearer " + testClusterToken, http.StatusNotFound},
		{"invalid stream id", "w1", "a%20b", "Bearer " + testClusterToken, http.StatusBadRequest},
		{"another node", "w2", "placed", "Bearer " + testClusterToken, http.StatusConflict},
		{"no node", "", "placed", "Bearer " + testClusterToken, http.StatusBadRequest},
	} {
		if code, body := postLive(t, srv, tc.node, tc.streamID, tc.auth, offer); code != tc.want {
			t.Errorf("%s: HTTP %d %q, want %d", tc.name, code, body, tc.want)
		} else if strings.Contains(body, testClusterToken) {
			t.Errorf("%s: the answer quotes the token: %q", tc.name, body)
		}
		if _, ok := c.hub.Stream("placed"); ok {
			t.Fatalf("%s: a refused offer left a stream", tc.name)
		}
	}
	code, body := postLive(t, srv, "w1", "placed", "Bearer "+testClusterToken, offer)
	if code != http.StatusCreated || !strings.HasPrefix(body, "v=0") {
		t.Fatalf("right token, placed stream: HTTP %d %q, want 201 and an SDP answer", code, body)
	}
	s, ok := c.hub.Stream("placed")
	if !ok || s.Info().Kind != rooms.KindMediaPush {
		t.Fatalf("after the offer: stream %v, want the session's media-push stream", ok)
	}
}

func TestClusterLiveRouteRefusedWithoutClusterToken(t *testing.T) {
	_, srv := liveCluster(t, "")
	if code, _ := postLive(t, srv, "w1", "placed", "Bearer ", offerLive(t)); code != http.StatusForbidden {
		t.Errorf("a controller without a cluster token: HTTP %d, want 403", code)
	}
}

func TestClusterLiveRouteRefusedOutsideClusterMode(t *testing.T) {
	c := openNode(t)
	srv := httptest.NewServer(c.Handler())
	t.Cleanup(srv.Close)
	if code, _ := postLive(t, srv, "w1", "placed", "Bearer "+testClusterToken, offerLive(t)); code != http.StatusNotFound {
		t.Errorf("outside cluster mode: HTTP %d, want 404", code)
	}
}

// TestClusterLiveRelay pushes a live stream from a worker node's hub to the controller: it
// becomes the session's stream there, ended by the node's DELETE, and a second push of the
// session (it moved to another node) replaces the first.
func TestClusterLiveRelay(t *testing.T) {
	c, srv := liveCluster(t, testClusterToken)
	nodeHub := func() (*rooms.Stream, func()) {
		h, err := rooms.New(rooms.Config{Log: zerolog.Nop()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(h.Close)
		s, err := h.Add(rooms.StreamInfo{ID: "placed", Kind: rooms.KindMediaPush}, nil)
		if err != nil {
			t.Fatal(err)
		}
		fw, err := s.AddTrack(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000})
		if err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() { // a keyframe-sized VP8 packet every 30 ms
			defer close(done)
			tick := time.NewTicker(30 * time.Millisecond)
			defer tick.Stop()
			for seq := uint16(0); ; seq++ {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
				fw.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: seq, Timestamp: uint32(seq) * 2700, Marker: true, SSRC: 1},
					Payload: []byte{0x10, 0x00, 0x00, 0x9d, 0x01, 0x2a}})
			}
		}()
		push, err := h.PushToOperatorTarget("placed", ClusterLiveURL(srv.URL, "w1", "placed"), testClusterToken)
		if err != nil {
			t.Fatal(err)
		}
		return s, func() { push.Close(); close(stop); <-done; s.Close("the session ended") }
	}
	_, endFirst := nodeHub()
	var first *rooms.Stream
	waitFor(t, "the first push live on the controller", func() bool {
		s, ok := c.hub.Stream("placed")
		first = s
		return ok && s.Info().Video == "VP8"
	})
	if info := first.Info(); info.Kind != rooms.KindMediaPush || info.Name != "placed" {
		t.Errorf("the relayed stream: %+v, want the session's media-push stream", info)
	}
	_, endSecond := nodeHub()
	waitFor(t, "the second push replaces the first", func() bool {
		s, ok := c.hub.Stream("placed")
		return ok && s != first && s.Info().Video == "VP8"
	})
	select {
	case <-first.Done():
	default:
		t.Error("the first push's stream still runs after the second replaced it")
	}
	endFirst() // the old node's late DELETE ends nothing of the new push
	if _, ok := c.hub.Stream("placed"); !ok {
		t.Fatal("the old node's DELETE ended the new push's stream")
	}
	endSecond()
	waitFor(t, "the stream ended by the node's DELETE", func() bool {
		_, ok := c.hub.Stream("placed")
		return !ok
	})
	if list, err := c.cat.ListBroadcasts(context.Background(), 0, 10); err != nil || len(list) != 1 {
		t.Errorf("broadcasts: %d, %v; want the session's one", len(list), err)
	}
}
