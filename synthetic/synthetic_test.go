package synthetic

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media/oggreader"
	"github.com/rs/zerolog"
)

// whipServer is a WHIP endpoint that receives with pion, as a conference server would, and
// counts what arrives. It registers pion's default codecs, so the participant's offer has
// to win the negotiation among several.
type whipServer struct {
	t     *testing.T
	api   *webrtc.API
	token string // the bearer token it wants; "" for none
	srv   *httptest.Server

	mu      sync.Mutex
	offer   string
	pc      *webrtc.PeerConnection
	deleted bool
	kinds   map[string]*received // by track kind
	readers sync.WaitGroup
}

// received is what arrived on one track.
type received struct {
	mime      string
	ssrc      webrtc.SSRC
	packets   int
	keyframes []time.Time // arrival of each keyframe's first packet (its SPS/PPS STAP-A)
	frames    int         // packets with the marker bit: the last of each video frame
	firstAU   []byte      // the first video frame, depacketized to Annex-B
	auDone    bool
	auFailure error
}

func newWHIPServer(t *testing.T, token string) *whipServer {
	t.Helper()
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	ir := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(m, ir); err != nil {
		t.Fatal(err)
	}
	se := webrtc.SettingEngine{}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIncludeLoopbackCandidate(true)
	s := &whipServer{
		t:     t,
		api:   webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se)),
		token: token,
		kinds: map[string]*received{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /whip/x", s.handleOffer)
	mux.HandleFunc("DELETE /whip/x/session", s.handleDelete)
	s.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		s.srv.Close()
		s.mu.Lock()
		if s.pc != nil {
			s.pc.Close()
		}
		s.mu.Unlock()
		s.readers.Wait()
	})
	return s
}

func (s *whipServer) url() string { return s.srv.URL + "/whip/x" }

func (s *whipServer) handleOffer(w http.ResponseWriter, r *http.Request) {
	if s.token != "" && r.Header.Get("Authorization") != "Bearer "+s.token {
		http.Error(w, "wrong token", http.StatusForbidden)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/sdp" {
		http.Error(w, "Content-Type "+ct, http.StatusUnsupportedMediaType)
		return
	}
	offer, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	pc, err := s.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	pc.OnTrack(func(track *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		s.readers.Add(1)
		defer s.readers.Done()
		s.receive(track)
	})
	answer, err := s.answer(pc, string(offer))
	if err != nil {
		pc.Close()
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.offer, s.pc = string(offer), pc
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/sdp")
	w.Header().Set("Location", "/whip/x/session")
	w.WriteHeader(http.StatusCreated)
	io.WriteString(w, answer)
}

func (s *whipServer) answer(pc *webrtc.PeerConnection, offer string) (string, error) {
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", err
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return "", err
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		return "", err
	}
	<-gathered
	return pc.LocalDescription().SDP, nil
}

func (s *whipServer) handleDelete(http.ResponseWriter, *http.Request) {
	s.mu.Lock()
	pc := s.pc
	s.pc, s.deleted = nil, true
	s.mu.Unlock()
	if pc != nil {
		pc.Close()
	}
}

// receive counts a track's packets and depacketizes its first video frame.
func (s *whipServer) receive(track *webrtc.TrackRemote) {
	rec := &received{mime: track.Codec().MimeType, ssrc: track.SSRC()}
	s.mu.Lock()
	s.kinds[track.Kind().String()] = rec
	s.mu.Unlock()
	var h264 codecs.H264Packet
	for {
		pkt, _, err := track.ReadRTP()
		if err != nil {
			return
		}
		s.mu.Lock()
		rec.packets++
		if pkt.Marker {
			rec.frames++
		}
		if track.Kind() == webrtc.RTPCodecTypeVideo && len(pkt.Payload) > 0 && pkt.Payload[0]&0x1f == 24 {
			rec.keyframes = append(rec.keyframes, time.Now())
		}
		if track.Kind() == webrtc.RTPCodecTypeVideo && !rec.auDone {
			data, err := h264.Unmarshal(pkt.Payload)
			if err != nil {
				rec.auFailure = err
			}
			rec.firstAU = append(rec.firstAU, data...)
			rec.auDone = pkt.Marker
		}
		s.mu.Unlock()
	}
}

// snapshot copies what arrived so far on the track of a kind ("video", "audio").
func (s *whipServer) snapshot(kind string) received {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.kinds[kind]; r != nil {
		return *r
	}
	return received{}
}

// nalTypes lists the NAL unit types of an Annex-B stream with 4-byte start codes, as the
// depacketizer writes it.
func nalTypes(annexB []byte) []int {
	var types []int
	for _, nal := range bytes.Split(annexB, startCode) {
		if len(nal) > 0 {
			types = append(types, int(nal[0]&0x1f))
		}
	}
	return types
}

func needFFmpeg(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath(FFmpeg); err != nil {
		t.Skipf("%s is not installed: %v", FFmpeg, err)
	}
}

func testLog() zerolog.Logger {
	// Not the test's own log: pion reports state changes on goroutines that may outlive
	// the test, and t.Log panics then.
	return zerolog.New(zerolog.ConsoleWriter{Out: os.Stderr}).Level(zerolog.DebugLevel).With().Timestamp().Logger()
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestPublish(t *testing.T) {
	needFFmpeg(t)
	srv := newWHIPServer(t, "s3cret")
	baseline := runtime.NumGoroutine()

	p, err := Publish(testContext(t), srv.url(), Options{Color: "red", Tone: 440, Token: "s3cret", Log: testLog()})
	if err != nil {
		t.Fatal(err)
	}
	if want := srv.srv.URL + "/whip/x/session"; p.Location() != want {
		t.Errorf("Location %q, want %q", p.Location(), want)
	}
	start := time.Now()
	time.Sleep(3 * time.Second)
	elapsed := time.Since(start).Seconds()
	video, audio := srv.snapshot("video"), srv.snapshot("audio")

	if video.mime != webrtc.MimeTypeH264 || audio.mime != webrtc.MimeTypeOpus {
		t.Errorf("negotiated %q and %q, want H264 and Opus", video.mime, audio.mime)
	}
	if fps := float64(video.frames) / elapsed; fps < 10 {
		t.Errorf("%d video frames (%d packets) in %.1fs: %.1f fps, want at least 10", video.frames, video.packets, elapsed, fps)
	}
	if rate := float64(audio.packets) / elapsed; rate < 40 {
		t.Errorf("%d audio packets in %.1fs: %.1f/s, want at least 40", audio.packets, elapsed, rate)
	}
	if video.auFailure != nil {
		t.Errorf("depacketizing the first frame: %v", video.auFailure)
	}
	types := nalTypes(video.firstAU)
	hasSPS, hasIDR := false, false
	for _, ty := range types {
		hasSPS = hasSPS || ty == 7
		hasIDR = hasIDR || ty == 5
	}
	if !video.auDone || !hasSPS || !hasIDR {
		t.Errorf("first video frame has NAL units %v (complete: %v), want an SPS (7) and an IDR (5)", types, video.auDone)
	}
	select {
	case <-p.Done():
		t.Errorf("participant stopped: %v", p.Err())
	default:
	}

	if err := p.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	srv.mu.Lock()
	deleted := srv.deleted
	srv.mu.Unlock()
	if !deleted {
		t.Error("Close sent no DELETE to the session")
	}
	if p.Err() != nil {
		t.Errorf("Err after Close: %v", p.Err())
	}
	select {
	case <-p.Done():
	default:
		t.Error("Done not closed after Close")
	}
	// Everything the participant started ends with Close (the server's receivers end with
	// its DELETE).
	var now int
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if now = runtime.NumGoroutine(); now <= baseline {
			break
		}
	}
	if now > baseline {
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines after Close, %d before Publish:\n%s", now, baseline, buf[:runtime.Stack(buf, true)])
	}
}

// TestPictureLoss checks that a picture loss report brings a keyframe well before the next
// one due (the file has one a second).
func TestPictureLoss(t *testing.T) {
	needFFmpeg(t)
	srv := newWHIPServer(t, "")
	p, err := Publish(testContext(t), srv.url(), Options{Color: "yellow", Log: testLog()})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	// Just after a keyframe, so that the next one is a second away.
	var video received
	for deadline := time.Now().Add(3 * time.Second); len(video.keyframes) == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no keyframe in 3 s")
		}
		video = srv.snapshot("video")
	}
	last := video.keyframes[len(video.keyframes)-1]
	time.Sleep(100 * time.Millisecond)
	srv.mu.Lock()
	err = srv.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(video.ssrc)}})
	srv.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	video = srv.snapshot("video")
	if n := len(video.keyframes); n < 2 || video.keyframes[n-1].Sub(last) > 600*time.Millisecond {
		var after []time.Duration
		for _, k := range video.keyframes {
			after = append(after, k.Sub(last))
		}
		t.Errorf("keyframes at %v from the one before the PLI; want one within 600 ms", after)
	}
}

func TestPublishAudioOnly(t *testing.T) {
	needFFmpeg(t)
	srv := newWHIPServer(t, "")
	p, err := Publish(testContext(t), srv.url(), Options{Tone: 1000, Log: testLog()})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	if err := p.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	srv.mu.Lock()
	offer := srv.offer
	srv.mu.Unlock()
	if strings.Contains(offer, "m=video") {
		t.Errorf("audio-only offer has a video section:\n%s", offer)
	}
	if a := srv.snapshot("audio"); a.packets < 30 {
		t.Errorf("%d audio packets in a second, want about 50", a.packets)
	}
	if v := srv.snapshot("video"); v.packets != 0 {
		t.Errorf("%d video packets from an audio-only participant", v.packets)
	}
}

// TestPublishDefaultCodecs offers pion's default codecs, VP8 first, and still sends H264.
func TestPublishDefaultCodecs(t *testing.T) {
	needFFmpeg(t)
	srv := newWHIPServer(t, "")
	p, err := Publish(testContext(t), srv.url(), Options{Color: "blue", DefaultCodecs: true, Log: testLog()})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	if err := p.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	srv.mu.Lock()
	offer := srv.offer
	srv.mu.Unlock()
	if vp8, h264 := strings.Index(offer, "VP8/90000"), strings.Index(offer, "H264/90000"); vp8 < 0 || h264 < vp8 {
		t.Errorf("the offer does not propose VP8 first, then H264:\n%s", offer)
	}
	if v := srv.snapshot("video"); v.mime != webrtc.MimeTypeH264 || v.frames < 5 {
		t.Errorf("received %d frames of %q, want H264", v.frames, v.mime)
	}
}

func TestPublishRefused(t *testing.T) {
	needFFmpeg(t)
	srv := newWHIPServer(t, "right")
	p, err := Publish(testContext(t), srv.url(), Options{Color: "blue", Token: "wrong", Log: testLog()})
	if err == nil {
		p.Close()
		t.Fatal("Publish with a wrong token succeeded")
	}
	if !strings.Contains(err.Error(), "403") || !strings.Contains(err.Error(), "wrong token") {
		t.Errorf("error %q, want the status 403 and the body", err)
	}
}

func TestPublishBadInput(t *testing.T) {
	needFFmpeg(t)
	cases := []struct {
		url  string
		opt  Options
		want string
	}{
		{"ftp://example.com/whip", Options{Color: "red"}, "bad WHIP URL"},
		{"http://127.0.0.1:1/whip", Options{}, "nothing to send"},
		{"http://127.0.0.1:1/whip", Options{Color: "red:s=1x1"}, "bad colour"},
		{"http://127.0.0.1:1/whip", Options{Color: "red", Width: 321}, "even"},
		{"http://127.0.0.1:1/whip", Options{Tone: 440, ToneGain: 3}, "tone gain"},
		// ffmpeg's own complaint comes through.
		{"http://127.0.0.1:1/whip", Options{Color: "notacolour"}, "notacolour"},
		// Nothing listens on port 1.
		{"http://127.0.0.1:1/whip", Options{Tone: 440}, "connection refused"},
	}
	for _, c := range cases {
		p, err := Publish(testContext(t), c.url, c.opt)
		if err == nil {
			p.Close()
			t.Errorf("Publish(%q, %+v) succeeded", c.url, c.opt)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("Publish(%q, %+v): %v; want an error about %q", c.url, c.opt, err, c.want)
		}
	}
}

// TestMedia checks the generated files against what the senders assume of them.
func TestMedia(t *testing.T) {
	needFFmpeg(t)
	dir := t.TempDir()
	opt, err := Options{Color: "green", Tone: 440}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	videoPath, audioPath, err := makeMedia(testContext(t), dir, opt)
	if err != nil {
		t.Fatal(err)
	}

	// Video: one access unit per frame, whatever the number of slices, with the parameter
	// sets at the front of every keyframe, one keyframe a second.
	f, err := os.Open(videoPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	aus, err := newAUReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	for ; ; n++ {
		au, err := aus.read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		types := nalTypes(au.data)
		if key := n%opt.FPS == 0; au.keyframe != key || key && (len(types) < 3 || types[0] != 7 || types[1] != 8) {
			t.Errorf("frame %d: NAL units %v, keyframe %v", n, types, au.keyframe)
		}
	}
	if want := opt.FPS * int(loopLength/time.Second); n != want {
		t.Errorf("%d access units, want %d", n, want)
	}

	// Audio: one 20 ms Opus packet per Ogg page (the granule position counts 48 kHz
	// samples), but for the last page, which the encoder's delay shortens.
	g, err := os.Open(audioPath)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	ogg, head, err := oggreader.NewWith(g)
	if err != nil {
		t.Fatal(err)
	}
	if head.Channels != 2 || head.SampleRate != 48000 {
		t.Errorf("Opus head: %d channels at %d Hz, want stereo at 48 kHz", head.Channels, head.SampleRate)
	}
	var granules []uint64
	for {
		payload, page, err := ogg.ParseNextPage()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, isHeader := page.HeaderType(payload); !isHeader {
			granules = append(granules, page.GranulePosition)
		}
	}
	if len(granules) < 400 {
		t.Fatalf("%d Opus pages, want about 500", len(granules))
	}
	for i := 1; i < len(granules)-1; i++ {
		if d := granules[i] - granules[i-1]; d != 960 {
			t.Fatalf("Ogg page %d holds %d samples, want one 20 ms packet (960)", i, d)
		}
	}
}
