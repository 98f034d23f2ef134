package e2e

import (
	"context"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/pion/webrtc/v4"

	"mediapush/controller"
	"mediapush/internal/procstat"
	"mediapush/synthetic"
)

// offerFor makes a real SDP offer from a pion peer that can only send the given codec.
func offerFor(t *testing.T, codec webrtc.RTPCodecCapability, kind webrtc.RTPCodecType) (*webrtc.PeerConnection, string) {
	t.Helper()
	m := &webrtc.MediaEngine{}
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: codec, PayloadType: 100}, kind); err != nil {
		t.Fatal(err)
	}
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(m)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	track, err := webrtc.NewTrackLocalStaticRTP(codec, kind.String(), "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pc.AddTrack(track); err != nil {
		t.Fatal(err)
	}
	offer, _ := pc.CreateOffer(nil)
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	t.Cleanup(func() { pc.Close() })
	return pc, pc.LocalDescription().SDP
}

// offerOnly is an offer whose peer is gone: enough for requests that must be refused.
func offerOnly(t *testing.T, codec webrtc.RTPCodecCapability, kind webrtc.RTPCodecType) string {
	t.Helper()
	pc, offer := offerFor(t, codec, kind)
	pc.Close()
	return offer
}

// post sends an SDP body and returns the status, body and Location.
func (s *service) post(path, contentType, body, token string) (int, string, string) {
	s.t.Helper()
	return s.send(http.MethodPost, path, contentType, body, token)
}

// get reads path as a participant with a stream token.
func (s *service) get(path, token string) (int, string, string) {
	s.t.Helper()
	return s.send(http.MethodGet, path, "", "", token)
}

func (s *service) send(method, path, contentType, body, token string) (int, string, string) {
	s.t.Helper()
	req, _ := http.NewRequest(method, s.base+path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out), resp.Header.Get("Location")
}

// TestConferenceBadInput sends WHIP/WHEP requests a conference server must refuse, each with
// the status and message that name the problem, and checks nothing stays behind.
func TestConferenceBadInput(t *testing.T) {
	s := startService(t)
	goroutines, files := runtime.NumGoroutine(), procstat.OpenFiles()

	opus := webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}
	av1 := webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeAV1, ClockRate: 90000}
	audioOffer := offerOnly(t, opus, webrtc.RTPCodecTypeAudio)
	av1Offer := offerOnly(t, av1, webrtc.RTPCodecTypeVideo)

	for _, c := range []struct {
		name, path, contentType, body string
		code                          int
		want                          string
	}{
		{"broken SDP", "/live/whip/x1", "application/sdp", "v=0\r\nthis is not SDP\r\n", 400, "bad SDP offer"},
		{"empty offer", "/live/whip/x1", "application/sdp", "", 400, "no SDP offer"},
		{"unsupported codec", "/live/whip/x1", "application/sdp", av1Offer, 422, "AV1"},
		{"JSON instead of SDP", "/live/whip/x1", "application/json", `{"sdp":"v=0"}`, 415, "application/sdp"},
		{"bad stream id", "/live/whip/a%20b", "application/sdp", audioOffer, 400, "streamId"},
		{"bad room id", "/live/whip/x1?mainTrack=../etc", "application/sdp", audioOffer, 400, "mainTrack"},
		{"unprintable name", "/live/whip/x1?name=%07bell", "application/sdp", audioOffer, 400, "name"},
		{"play a stream that is not live", "/live/whep/nobody", "application/sdp", audioOffer, 404, "not live"},
		{"play with a broken SDP", "/live/whep/nobody", "application/sdp", "v=0", 404, "not live"},
	} {
		code, body, _ := s.post(c.path, c.contentType, c.body, "")
		if code != c.code || !strings.Contains(body, c.want) {
			t.Errorf("%s: HTTP %d %q, want %d with %q", c.name, code, body, c.code, c.want)
		}
	}

	// One publisher per stream id.
	first, err := synthetic.Publish(context.Background(), s.base+"/live/whip/dup?mainTrack=r", synthetic.Options{Tone: 500})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := synthetic.Publish(context.Background(), s.base+"/live/whip/dup?mainTrack=r", synthetic.Options{Tone: 600}); err == nil ||
		!strings.Contains(err.Error(), "409") || !strings.Contains(err.Error(), "being published already") {
		t.Errorf("a second publisher of one stream id: %v", err)
	}
	// A stream id cannot also be a room, nor a room a stream.
	if code, body, _ := s.post("/live/whip/r", "application/sdp", audioOffer, ""); code != 409 || !strings.Contains(body, "is a room") {
		t.Errorf("publishing under a room's id: HTTP %d %q", code, body)
	}
	if code, body, _ := s.post("/live/whip/x2?mainTrack=dup", "application/sdp", audioOffer, ""); code != 409 || !strings.Contains(body, "id of a stream") {
		t.Errorf("joining a room named like a stream: HTTP %d %q", code, body)
	}
	// Ending a publication takes its session, not only its stream id.
	for _, path := range []string{"/live/whip/dup/0123456789abcdef0123456789abcdef", "/live/whep/dup/nope"} {
		if resp, body := s.do(http.MethodDelete, path, nil); resp.StatusCode != 404 {
			t.Errorf("DELETE %s: HTTP %d %s", path, resp.StatusCode, body)
		}
	}
	s.waitParticipant("r", "dup", 10*time.Second)
	if len(s.participants("r")) != 1 {
		t.Errorf("participants of r: %+v", s.participants("r"))
	}
	first.Close()
	if got := s.participants("r"); len(got) != 0 {
		t.Errorf("after the publisher's DELETE the room still lists %+v", got)
	}

	// A publisher whose media never comes is dropped (no DELETE: a closed laptop).
	pc, offer := offerFor(t, opus, webrtc.RTPCodecTypeAudio)
	code, answer, _ := s.post("/live/whip/silent?mainTrack=quiet", "application/sdp", offer, "")
	if code != 201 {
		t.Fatalf("silent publisher: HTTP %d %s", code, answer)
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatal(err)
	}
	// Its tracks are known from its first packets: until then it is not listed.
	if got := s.participants("quiet"); len(got) != 0 {
		t.Errorf("a publisher that has sent nothing is listed: %+v", got)
	}
	// Its stream id is taken until it is dropped, then free again.
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, body, loc := s.post("/live/whip/silent?mainTrack=quiet", "application/sdp", offerOnly(t, opus, webrtc.RTPCodecTypeAudio), "")
		if code == http.StatusCreated {
			s.do(http.MethodDelete, loc, nil)
			break
		}
		if code != http.StatusConflict || time.Now().After(deadline) {
			t.Fatalf("publishing as the silent publisher: HTTP %d %q, want 409 until it is dropped, then 201", code, body)
		}
		time.Sleep(500 * time.Millisecond)
	}
	pc.Close()
	settle(t, goroutines, files)
}

// TestConferenceTokens closes a room to those without a token.
func TestConferenceTokens(t *testing.T) {
	secret := []byte("a secret only the conference app knows")
	s := startService(t, func(c *controller.Config) { c.Rooms.TokenSecret = secret })
	token := func(streamID, kind string, ttl time.Duration, room ...string) string {
		claims := jwt.MapClaims{"streamId": streamID, "type": kind, "exp": time.Now().Add(ttl).Unix()}
		if len(room) > 0 {
			claims["roomId"] = room[0]
		}
		tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(secret)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	forged, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"streamId": "amy", "type": "publish", "exp": time.Now().Add(time.Hour).Unix(),
	}).SignedString([]byte("guessed"))
	whip := s.base + "/live/whip/amy?mainTrack=board"
	for _, c := range []struct{ name, token, want string }{
		{"no token", "", "token is required"},
		{"forged", forged, "not valid"},
		{"expired", token("amy", "publish", -time.Minute), "expired"},
		{"a play token", token("amy", "play", time.Hour), "not publish"},
		{"another stream's", token("ben", "publish", time.Hour), "another stream"},
		{"the stream's own, for no room", token("amy", "publish", time.Hour), "joining room board"},
		{"the stream's own, for another room", token("amy", "publish", time.Hour, "lobby"), "joining room board"},
	} {
		_, err := synthetic.Publish(context.Background(), whip, synthetic.Options{Tone: 440, Token: c.token})
		if err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s token: %v, want 401 %q", c.name, err, c.want)
		}
	}
	p, err := synthetic.Publish(context.Background(), whip, synthetic.Options{Color: "red", Tone: 440, Token: token("amy", "publish", time.Hour, "board")})
	if err != nil {
		t.Fatalf("a valid publish token: %v", err)
	}
	defer p.Close()
	// Ant Media's token query parameter works as well as the Authorization header.
	q, err := synthetic.Publish(context.Background(), s.base+"/live/whip/audio-cat?mainTrack=board&token="+token("board", "publish", time.Hour), synthetic.Options{Tone: 300})
	if err != nil {
		t.Fatalf("a room publish token in the query: %v", err)
	}
	defer q.Close()
	offer := offerOnly(t, webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, webrtc.RTPCodecTypeAudio)
	if code, body, _ := s.post("/live/whep/amy", "application/sdp", offer, ""); code != 401 {
		t.Errorf("playing without a token: HTTP %d %s", code, body)
	}
	v := s.whep(t, "amy", token("board", "play", time.Hour)) // a room's play token covers its streams
	deadline := time.Now().Add(10 * time.Second)
	for v.videoFrames.Load() < 10 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if v.videoFrames.Load() < 10 || v.audioPackets.Load() < 10 {
		t.Errorf("the viewer with a room token received %d frames, %d audio packets", v.videoFrames.Load(), v.audioPackets.Load())
	}
	// The room recording hands its page a play token of its own.
	r := s.call(http.MethodPost, "/live/rest/v1/media-push/rooms/board/recording/start", map[string]any{"width": 640, "height": 360})
	if !r.Success {
		t.Fatalf("recording a secured room: %s", r.msg())
	}
	s.waitShown("board_composite", "grid", []string{"amy", "audio-cat"}, 15*time.Second)
	// The page's token is its own: nowhere in what the API shows.
	var rec struct {
		URL string `json:"url"`
	}
	s.getJSON("/live/rest/v2/broadcasts/board_composite", &rec)
	if !strings.Contains(rec.URL, "token=****") || strings.Contains(rec.URL, "eyJ") {
		t.Errorf("the recording's page URL shows its token: %s", rec.URL)
	}
	// The participant list is the room's too: it takes the room's play token, as its pages send.
	if code, body, _ := s.get("/live/rest/v2/rooms/board/participants", ""); code != http.StatusUnauthorized {
		t.Errorf("participants without a token: HTTP %d %s", code, body)
	}
	if code, body, _ := s.get("/live/rest/v2/rooms/board/participants", token("board", "play", time.Hour)); code != http.StatusOK {
		t.Errorf("participants with the room's play token: HTTP %d %s", code, body)
	}
	if r := s.call(http.MethodPost, "/live/rest/v1/media-push/rooms/board/recording/stop", nil); !r.Success {
		t.Fatalf("stop: %s", r.msg())
	}
}
