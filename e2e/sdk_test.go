package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"mediapush/browser"
	"mediapush/controller"
	"mediapush/internal/mediacheck"
)

// loopbackOnly keeps the node's browsers on loopback: StreamApp's pages load scripts and
// styles from CDNs, which the destination policy now refuses before any lookup.
func loopbackOnly(c *controller.Config) {
	c.Destinations.Resolve = func(_ context.Context, host string) ([]netip.Addr, error) {
		if host == "localhost" {
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
		}
		return nil, fmt.Errorf("%s: the tests resolve no name but localhost", host)
	}
}

// sdkParticipant is a person's Chromium whose camera shows colour and whose microphone plays a
// tone of hz. Names resolve to nothing: the pages' CDN scripts and Google's STUN server are
// not reached.
func sdkParticipant(t *testing.T, colour string, hz int) *browser.Tab {
	t.Helper()
	dir := t.TempDir()
	y4m, wav := filepath.Join(dir, "camera.y4m"), filepath.Join(dir, "mic.wav")
	for _, args := range [][]string{
		{"-f", "lavfi", "-i", "color=c=" + colour + ":s=320x240:r=15", "-t", "2", "-pix_fmt", "yuv420p", y4m},
		{"-f", "lavfi", "-i", fmt.Sprintf("sine=f=%d:sample_rate=48000", hz), "-t", "5", "-ac", "1", wav},
	} {
		if out, err := exec.Command("ffmpeg", append([]string{"-hide_banner", "-loglevel", "error", "-y"}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("ffmpeg: %v: %s", err, out)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return personBrowser(t, ctx, browser.Options{WorkDir: dir, Switches: map[string]any{
		"use-fake-device-for-media-stream": true, "use-fake-ui-for-media-stream": true,
		"use-file-for-fake-video-capture": y4m, "use-file-for-fake-audio-capture": wav,
		"host-resolver-rules": "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
	}}, 1280, 720)
}

// waitPage waits until js evaluates to want in the browser's page.
func waitPage(t *testing.T, br *browser.Tab, what, js, want string, within time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within+5*time.Second)
	defer cancel()
	deadline := time.Now().Add(within)
	var got string
	for {
		var err error
		if got, err = br.Evaluate(ctx, js); err == nil && got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: the page shows %q, want %q (%v)", what, got, want, err)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

func openPage(t *testing.T, br *browser.Tab, pageURL string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := br.Open(ctx, pageURL); err != nil {
		t.Fatal(err)
	}
}

func click(t *testing.T, br *browser.Tab, js string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := br.Evaluate(ctx, js+`, "ok"`); err != nil {
		t.Fatal(err)
	}
}

// playingTiles lists the conference page's remote videos that show a picture.
const playingTiles = `[...document.querySelectorAll('#players video')].filter(v => v.readyState >= 2 && v.videoWidth > 0).map(v => v.id.replace('remoteVideo', '')).sort().join(',')`

// TestSDKConferenceRoom runs StreamApp's conference-room.html, unmodified, in two browsers in
// one room with a WHIP participant: they see each other, chat over the data channel, a WHEP
// viewer plays a page's camera, mediapush records StreamApp's multitrack-play.html of the room
// (the recording shows everyone's colour and holds everyone's tone), and one leaves.
func TestSDKConferenceRoom(t *testing.T) {
	s := startService(t, loopbackOnly)
	base := amsPages(t, s)
	const room = "sdkroom"
	hal := member{"a-hal", "Hal", "red", 400}
	s.join(t, room, hal, nil)
	ann := sdkParticipant(t, "lime", 700)
	ben := sdkParticipant(t, "blue", 1100)
	for _, p := range []struct {
		br       *browser.Tab
		id, name string
	}{{ann, "b-ann", "Ann"}, {ben, "c-ben", "Ben"}} {
		openPage(t, p.br, base+"/live/conference-room.html?roomName="+room+"&streamId="+p.id+"&streamName="+p.name)
		// The page connects its WebSocket once it has the camera: a person clicks after that.
		waitPage(t, p.br, "the camera", `String(document.getElementById('localVideo').readyState >= 2)`, "true", 15*time.Second)
		time.Sleep(time.Second)
		click(t, p.br, `document.getElementById('enterButton').click()`)
		// A stable join order: the recording's grid follows it.
		deadline := time.Now().Add(20 * time.Second)
		for !slices.ContainsFunc(s.participants(room), func(q controller.Participant) bool { return q.StreamID == p.id }) {
			if time.Now().After(deadline) {
				t.Fatalf("%s did not join: the room lists %+v", p.id, s.participants(room))
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	got := s.participants(room)
	if len(got) != 3 || got[1].Name != "Ann" || got[1].Video == "" || got[1].Audio == "" || got[2].StreamID != "c-ben" {
		t.Fatalf("the room lists %+v, want Hal, then Ann and Ben with camera and microphone", got)
	}
	waitPage(t, ann, "Ann's page", playingTiles, "a-hal,c-ben", 20*time.Second)
	waitPage(t, ben, "Ben's page", playingTiles, "a-hal,b-ann", 20*time.Second)

	// Ann chats: Ben's page shows it, received on his play's data channel.
	click(t, ann, `document.getElementById('dataTextbox').value = 'hello from Ann', document.getElementsByClassName('send')[0].click()`)
	waitPage(t, ben, "Ben's chat", `String(document.getElementById('chat').textContent.includes('hello from Ann'))`, "true", 10*time.Second)

	// A WHEP viewer plays Ann's camera.
	v := s.whep(t, "b-ann", "")
	deadline := time.Now().Add(10 * time.Second)
	for (v.videoFrames.Load() < 10 || v.audioPackets.Load() < 10) && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if v.videoFrames.Load() < 10 || v.audioPackets.Load() < 10 {
		t.Errorf("a WHEP viewer of Ann got %d frames, %d audio packets", v.videoFrames.Load(), v.audioPackets.Load())
	}

	// The room recorded as Ant Media's users do: a media push of multitrack-play.html, then the
	// recording toggle.
	r := s.call(http.MethodPost, "/live/rest/v1/media-push/start", map[string]any{
		"url": base + "/live/multitrack-play.html?id=" + room + "&muted=false", "width": 1280, "height": 720})
	if !r.Success || r.DataID == nil {
		t.Fatalf("media push start: %s", r.msg())
	}
	rec := *r.DataID
	// The page lays its videos out with Bootstrap's grid, from a CDN the tests cannot reach:
	// the same two rules are given to it the way a caller adds script to a page.
	grid := `document.head.insertAdjacentHTML('beforeend', '<style>.row{display:flex;flex-wrap:wrap}.justify-content-center{justify-content:center}.col-6{flex:0 0 50%;max-width:50%}</style>')`
	if r := s.call(http.MethodPost, "/live/rest/v1/media-push/send-command?streamId="+rec, map[string]string{"jsCommand": grid}); !r.Success {
		t.Fatalf("send-command: %s", r.msg())
	}
	if code, r := s.toggle(rec, "true", ""); code != http.StatusOK || !r.Success {
		t.Fatalf("recording/true: HTTP %d %s", code, r.msg())
	}
	time.Sleep(8 * time.Second)
	if r := s.call(http.MethodPost, "/live/rest/v1/media-push/stop/"+rec, nil); !r.Success {
		t.Fatalf("media push stop: %s", r.msg())
	}
	s.waitState(rec, "COMPLETE", 30*time.Second)
	path := s.download(s.vodOf(rec))
	// No frame rate is asked: with three browsers and the recorder on two cores, it measures
	// the machine; what the room looks and sounds like is the point.
	info := checkRecording(t, path, "h264", "aac", 1280, 720, 0, 0)
	// Three videos: two on the first row, the third centred on the second.
	checkpoint{name: "the room", at: info.Duration - 2*time.Second, want: map[mediacheck.Point]string{
		{X: 0.25, Y: 0.25}: "red", {X: 0.75, Y: 0.25}: "green", {X: 0.5, Y: 0.75}: "blue",
	}}.verify(t, path)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	from, to := info.Duration-5*time.Second, info.Duration-time.Second
	silent, err := mediacheck.ToneLevel(ctx, path, 3500, from, to)
	if err != nil {
		t.Fatal(err)
	}
	for _, hz := range []float64{400, 700, 1100} {
		l, err := mediacheck.ToneLevel(ctx, path, hz, from, to)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%.0f Hz: %.1f dB (silent band %.1f dB)", hz, l, silent)
		if l < silent+20 {
			t.Errorf("the recording's %.0f Hz is at %.1f dB, the silent band at %.1f dB: not heard", hz, l, silent)
		}
	}

	// Ben leaves: he is gone from Ann's page and from the room.
	click(t, ben, `document.getElementById('close_call_button').click()`)
	waitPage(t, ann, "Ann's page after Ben left", playingTiles, "a-hal", 15*time.Second)
	ids := []string{}
	for _, p := range s.participants(room) {
		ids = append(ids, p.StreamID)
	}
	if strings.Join(ids, ",") != "a-hal,b-ann" {
		t.Errorf("after Ben left the room lists %v", ids)
	}
}

// TestSDKSamplePages publishes with StreamApp's samples/publish_webrtc.html and plays that
// stream with samples/play_webrtc.html, both unmodified.
func TestSDKSamplePages(t *testing.T) {
	s := startService(t)
	base := amsPages(t, s)
	br := sdkParticipant(t, "lime", 700)
	openPage(t, br, base+"/live/samples/publish_webrtc.html?id=sample1")
	waitPage(t, br, "the publish button", `String(!document.getElementById('start_publish_button').disabled)`, "true", 15*time.Second)
	click(t, br, `document.getElementById('start_publish_button').click()`)
	deadline := time.Now().Add(15 * time.Second)
	for {
		var b broadcast
		if s.getJSON("/live/rest/v2/broadcasts/sample1", &b); b.Status == "broadcasting" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("publish_webrtc.html did not publish sample1")
		}
		time.Sleep(200 * time.Millisecond)
	}
	viewer := sdkParticipant(t, "black", 100)
	openPage(t, viewer, base+"/live/samples/play_webrtc.html")
	click(t, viewer, `document.getElementById('streamName').value = 'sample1', document.getElementById('start_play_button').click()`)
	waitPage(t, viewer, "play_webrtc.html's player", `(() => { const d = document.getElementById('embedded-player').contentDocument;
		const v = d && d.getElementById('remoteVideo'); return String(!!v && v.readyState >= 2 && v.videoWidth > 0); })()`, "true", 20*time.Second)
}
