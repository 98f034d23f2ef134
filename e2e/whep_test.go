package e2e

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/pion/webrtc/v4"
)

// viewer is a WHEP player in the test: it counts what it receives.
type viewer struct {
	pc             *webrtc.PeerConnection
	resource       string
	videoFrames    atomic.Int64 // RTP marker bits: one per video frame
	audioPackets   atomic.Int64
	videoCodecName atomic.Value
	// ended is closed when the connection is lost: disconnected, failed or closed.
	ended chan struct{}
}

// whep plays streamID from the service like any WHEP client.
func (s *service) whep(t *testing.T, streamID, token string) *viewer {
	t.Helper()
	v, err := s.tryWHEP(t, streamID, token)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// tryWHEP plays streamID like whep; a refused offer is an error.
func (s *service) tryWHEP(t *testing.T, streamID, token string) (*viewer, error) {
	t.Helper()
	pc, err := webrtc.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	v := &viewer{pc: pc, ended: make(chan struct{})}
	var once atomic.Bool
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		switch st {
		case webrtc.PeerConnectionStateDisconnected, webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed:
			if once.CompareAndSwap(false, true) {
				close(v.ended)
			}
		}
	})
	for _, k := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
		if _, err := pc.AddTransceiverFromKind(k, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			t.Fatal(err)
		}
	}
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		video := tr.Kind() == webrtc.RTPCodecTypeVideo
		if video {
			v.videoCodecName.Store(tr.Codec().MimeType)
		}
		for {
			p, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			switch {
			case video && p.Marker:
				v.videoFrames.Add(1)
			case !video:
				v.audioPackets.Add(1)
			}
		}
	})
	offer, _ := pc.CreateOffer(nil)
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	req, _ := http.NewRequest(http.MethodPost, s.base+"/live/whep/"+streamID, strings.NewReader(pc.LocalDescription().SDP))
	req.Header.Set("Content-Type", "application/sdp")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		pc.Close()
		return nil, fmt.Errorf("WHEP %s: HTTP %d %s", streamID, resp.StatusCode, body)
	}
	v.resource = resp.Header.Get("Location")
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(body)}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.close(s) })
	return v, nil
}

func (v *viewer) close(s *service) {
	if v.pc == nil {
		return
	}
	req, _ := http.NewRequest(http.MethodDelete, s.base+v.resource, nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
	v.pc.Close()
	v.pc = nil
}
