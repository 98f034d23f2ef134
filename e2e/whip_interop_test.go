package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"mediapush/browser"
	"mediapush/controller"
	"mediapush/internal/mediacheck"
	"mediapush/synthetic"
)

// waitParticipant waits until room lists id, and returns it.
func (s *service) waitParticipant(room, id string, within time.Duration) controller.Participant {
	s.t.Helper()
	deadline := time.Now().Add(within)
	for {
		list := s.participants(room)
		for _, p := range list {
			if p.StreamID == id {
				return p
			}
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("%s did not appear in room %s within %s: %+v", id, room, within, list)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestWHIPDefaultCodecsRecorded publishes with a pion client that offers pion's default codecs
// (VP8 first) and sends H264, as a generic pion WHIP client does; the room recording shows its
// picture and holds its tone.
func TestWHIPDefaultCodecsRecorded(t *testing.T) {
	s := startService(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := synthetic.Publish(ctx, s.base+"/live/whip/pion?mainTrack=interop&name=Pion", synthetic.Options{
		Color: "red", Tone: 500, DefaultCodecs: true, Log: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)})
	if err != nil {
		t.Fatalf("a default-codec publisher cannot publish: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	if got := s.waitParticipant("interop", "pion", 10*time.Second); got.Video != "H264" || got.Audio != "OPUS" {
		t.Errorf("the participant is listed with %q video and %q audio, want H264 and OPUS", got.Video, got.Audio)
	}
	if r := s.call(http.MethodPost, "/live/rest/v1/media-push/rooms/interop/recording/start", nil); !r.Success {
		t.Fatalf("room recording start: %s", r.msg())
	}
	started := time.Now()
	s.waitShown("interop_composite", "grid", []string{"pion"}, 20*time.Second)
	shownAt := time.Since(started)
	time.Sleep(3 * time.Second)
	shown := checkpoint{name: "default-codec publisher", at: time.Since(started) - time.Second,
		want: map[mediacheck.Point]string{{X: 0.5, Y: 0.5}: "red", {X: 0.3, Y: 0.4}: "red"}}
	until := time.Since(started) - 500*time.Millisecond
	time.Sleep(time.Second)
	if r := s.call(http.MethodPost, "/live/rest/v1/media-push/rooms/interop/recording/stop", nil); !r.Success {
		t.Fatalf("room recording stop: %s", r.msg())
	}
	path := s.download(s.vodOf("interop_composite"))
	checkRecording(t, path, "h264", "aac", 1280, 720, 0, 10)
	shown.verify(t, path)
	ctx, cancel = context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tone, err := mediacheck.ToneLevel(ctx, path, 500, shownAt, until)
	if err != nil {
		t.Fatal(err)
	}
	silent, err := mediacheck.ToneLevel(ctx, path, 3500, shownAt, until)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("500 Hz at %.1f dB, the silent band at %.1f dB", tone, silent)
	if tone < silent+20 {
		t.Errorf("the publisher's 500 Hz tone is at %.1f dB, the silent band at %.1f dB: not heard", tone, silent)
	}
}

// whipPage publishes the browser's (fake) camera and microphone with the whip-whep npm client
// to the WHIP URL in its whip parameter. It records every fetch the client makes: method,
// status, ETag, the candidates its body carries, or the error.
const whipPage = `<!DOCTYPE html><html><body><script type="module">
import { WHIPClient } from "./whip.js";
window.calls = [];
window.state = "starting";
const realFetch = window.fetch.bind(window);
window.fetch = async (url, opts = {}) => {
	const call = { method: opts.method || "GET", candidates: (String(opts.body || "").match(/a=candidate/g) || []).length };
	window.calls.push(call);
	try {
		const r = await realFetch(url, opts);
		call.status = r.status;
		call.etag = r.headers.get("etag");
		return r;
	} catch (e) {
		call.error = String(e);
		throw e;
	}
};
try {
	const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
	const pc = new RTCPeerConnection({ bundlePolicy: "max-bundle" });
	for (const track of stream.getTracks()) pc.addTransceiver(track, { direction: "sendonly" });
	await new WHIPClient().publish(pc, new URLSearchParams(location.search).get("whip"));
	window.state = "published";
} catch (e) {
	window.state = "error: " + e;
}
</script></body></html>`

type whipPageState struct {
	State string `json:"state"`
	Calls []struct {
		Method     string `json:"method"`
		Status     int    `json:"status"`
		ETag       string `json:"etag"`
		Candidates int    `json:"candidates"`
		Error      string `json:"error"`
	} `json:"calls"`
}

func readWHIPPage(t *testing.T, ctx context.Context, br *browser.Tab) whipPageState {
	t.Helper()
	raw, err := br.Evaluate(ctx, `JSON.stringify({state: window.state || "", calls: window.calls || []})`)
	if err != nil {
		t.Fatal(err)
	}
	var st whipPageState
	if err := json.Unmarshal([]byte(raw), &st); err != nil {
		t.Fatalf("page state %q: %v", raw, err)
	}
	return st
}

// TestWHIPBrowserOtherOrigin runs the WHIP reference client (npm whip-whep) in Chromium on a
// page of another origin than mediapush: by default it publishes (CORS), trickles its
// candidates by PATCH (its offer carries none), and is played by a WHEP viewer. A node whose
// WHIP origins are restricted refuses the same page at the preflight.
func TestWHIPBrowserOtherOrigin(t *testing.T) {
	s := startService(t)
	restricted := startService(t, func(c *controller.Config) { c.ParticipantOrigins = []string{"https://app.example.com"} })
	pkg := npmPackage(t, "whip-whep")
	mux := http.NewServeMux()
	mux.HandleFunc("GET /whip.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		http.ServeFile(w, r, filepath.Join(pkg, "whip.js"))
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(whipPage)) //nolint:errcheck // test page
	})
	app := httptest.NewServer(mux) // another port of loopback: another origin
	defer app.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	br := personBrowser(t, ctx, browser.Options{
		Switches: map[string]any{"use-fake-device-for-media-stream": true, "use-fake-ui-for-media-stream": true}}, 640, 360)
	open := func(whip string) whipPageState {
		t.Helper()
		if err := br.Open(ctx, app.URL+"/?whip="+url.QueryEscape(whip)); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(20 * time.Second)
		for {
			st := readWHIPPage(t, ctx, br)
			if st.State != "starting" || time.Now().After(deadline) {
				return st
			}
			time.Sleep(200 * time.Millisecond)
		}
	}

	st := open(s.base + "/live/whip/web1?mainTrack=webroom&name=Web")
	if st.State != "published" {
		t.Fatalf("the client on %s did not publish to %s: %s %+v", app.URL, s.base, st.State, st.Calls)
	}
	if post := st.Calls[0]; post.Method != "POST" || post.Status != http.StatusCreated || post.ETag == "" || post.Candidates != 0 {
		t.Errorf("the offer: %+v, want a 201 with its ETag readable, for an offer without candidates", post)
	}
	if got := s.waitParticipant("webroom", "web1", 10*time.Second); got.Video == "" || got.Audio == "" {
		t.Errorf("the browser joined with %q video and %q audio, want both", got.Video, got.Audio)
	}
	v := s.whep(t, "web1", "")
	deadline := time.Now().Add(10 * time.Second)
	for v.videoFrames.Load() < 10 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if v.videoFrames.Load() < 10 || v.audioPackets.Load() < 10 {
		t.Errorf("a WHEP viewer of the browser's stream got %d frames, %d audio packets", v.videoFrames.Load(), v.audioPackets.Load())
	}
	var patches []string
	for _, c := range readWHIPPage(t, ctx, br).Calls {
		if c.Method == "PATCH" {
			patches = append(patches, http.StatusText(c.Status)+c.Error)
			if c.Status != http.StatusNoContent {
				t.Errorf("a trickle PATCH: %+v, want 204", c)
			}
		}
	}
	if len(patches) == 0 {
		t.Error("the client trickled no candidate")
	}
	t.Logf("trickle PATCHes: %v", patches)

	st = open(restricted.base + "/live/whip/web2?mainTrack=webroom&name=Web")
	if !strings.HasPrefix(st.State, "error") || len(st.Calls) == 0 || st.Calls[0].Error == "" || st.Calls[0].Status != 0 {
		t.Errorf("a node that allows only https://app.example.com: the page's state is %q, calls %+v; want a fetch refused by the browser", st.State, st.Calls)
	}
	if got := restricted.participants("webroom"); len(got) != 0 {
		t.Errorf("the refused page joined: %+v", got)
	}
}
