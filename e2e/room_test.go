package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"mediapush/browser"
	"mediapush/controller"
	"mediapush/internal/mediacheck"
	"mediapush/synthetic"
)

// member is a synthetic participant of a test room.
type member struct {
	id, name string
	color    string  // ffmpeg colour; "" for audio only
	tone     float64 // Hz; 0 for no sound
}

// join publishes m into room through the service's WHIP endpoint. extra adds query parameters.
func (s *service) join(t testing.TB, room string, m member, extra url.Values) *synthetic.Participant {
	t.Helper()
	q := url.Values{"mainTrack": {room}, "name": {m.name}}
	for k, v := range extra {
		q[k] = v
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := synthetic.Publish(ctx, s.base+"/live/whip/"+m.id+"?"+q.Encode(), synthetic.Options{
		Color: m.color, Tone: m.tone, Log: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel),
	})
	if err != nil {
		t.Fatalf("%s cannot join %s: %v", m.id, room, err)
	}
	t.Cleanup(func() { p.Close() })
	// A publisher is listed once its first packets have told its codecs.
	s.waitParticipant(room, m.id, 10*time.Second)
	return p
}

// participants is the room's membership as the REST API lists it.
func (s *service) participants(room string) []controller.Participant {
	s.t.Helper()
	var list []controller.Participant
	if code := s.getJSON("/live/rest/v2/rooms/"+room+"/participants", &list); code != http.StatusOK {
		s.t.Fatalf("participants of %s: HTTP %d", room, code)
	}
	return list
}

// roomBroadcast is the part of a room's Broadcast that conference apps read.
type roomBroadcast struct {
	StreamID    string   `json:"streamId"`
	Status      string   `json:"status"`
	SubTracks   []string `json:"subTrackStreamIds"`
	MetaData    string   `json:"metaData"`
	isRecording bool
}

func (s *service) room(room string) roomBroadcast {
	s.t.Helper()
	var b roomBroadcast
	if code := s.getJSON("/live/rest/v2/broadcasts/"+room, &b); code != http.StatusOK {
		s.t.Fatalf("broadcast of room %s: HTTP %d", room, code)
	}
	var meta struct {
		IsRecording bool `json:"isRecording"`
	}
	if err := json.Unmarshal([]byte(b.MetaData), &meta); err != nil {
		s.t.Fatalf("room %s metaData %q: %v", room, b.MetaData, err)
	}
	b.isRecording = meta.IsRecording
	return b
}

// pageState is what multitrack-play.html reports of itself (window.roomState()).
type pageState struct {
	Mode         string   `json:"mode"`
	Started      bool     `json:"started"`
	Waiting      bool     `json:"waiting"` // the "waiting for participants" notice shows
	Ended        bool     `json:"ended"`
	Participants []string `json:"participants"`
	Speaking     []string `json:"speaking"`
	Tiles        []struct {
		ID      string `json:"id"`
		Playing bool   `json:"playing"`
		Hidden  bool   `json:"hidden"`
	} `json:"tiles"`
}

func (s *service) pageState(streamID string) pageState {
	s.t.Helper()
	r := s.call(http.MethodPost, "/live/rest/v1/media-push/send-command?streamId="+streamID,
		map[string]string{"jsCommand": "return roomState()"})
	if !r.Success {
		s.t.Fatalf("roomState(): %s", r.msg())
	}
	var st pageState
	if err := json.Unmarshal([]byte(r.msg()), &st); err != nil {
		s.t.Fatalf("roomState() = %q: %v", r.msg(), err)
	}
	return st
}

// waitShown waits until the composite page plays exactly ids (those with video showing
// their picture) in mode.
func (s *service) waitShown(streamID, mode string, ids []string, within time.Duration) {
	s.t.Helper()
	began := time.Now()
	deadline := began.Add(within)
	var st pageState
	for time.Now().Before(deadline) {
		st = s.pageState(streamID)
		playing := 0
		for _, tile := range st.Tiles {
			if tile.Playing {
				playing++
			}
		}
		if st.Mode == mode && slices.Equal(st.Participants, ids) && playing >= countVideo(ids) {
			if st.Waiting {
				s.t.Errorf("the page shows its waiting notice over %v", ids)
			}
			s.t.Logf("the page shows %v in %s mode after %s", ids, mode, time.Since(began).Round(10*time.Millisecond))
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	s.t.Fatalf("the page did not show %v in %s mode within %s: %+v", ids, mode, within, st)
}

// countVideo counts the ids of participants that send video (audio-only ids start "audio").
func countVideo(ids []string) int {
	n := 0
	for _, id := range ids {
		if !strings.HasPrefix(id, "audio") {
			n++
		}
	}
	return n
}

// checkpoint is what the recording must show at one moment: colour names at frame positions.
type checkpoint struct {
	name string
	at   time.Duration // recording time
	want map[mediacheck.Point]string
	not  map[mediacheck.Point][]string // colours a position must not have
}

func (c checkpoint) verify(t *testing.T, path string) {
	t.Helper()
	var points []mediacheck.Point
	for p := range c.want {
		points = append(points, p)
	}
	for p := range c.not {
		points = append(points, p)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	got, err := mediacheck.FrameColors(ctx, path, c.at, points)
	if err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
	var seen []string
	for i, p := range points {
		name := mediacheck.ColorName(got[i])
		seen = append(seen, fmt.Sprintf("(%.2f,%.2f)=%s", p.X, p.Y, name))
		if want, ok := c.want[p]; ok && name != want {
			t.Errorf("%s, at %.1fs, point (%.2f, %.2f): %s %v, want %s", c.name, c.at.Seconds(), p.X, p.Y, name, got[i], want)
		}
		if slices.Contains(c.not[p], name) {
			t.Errorf("%s, at %.1fs, point (%.2f, %.2f): %s %v, want none of %v", c.name, c.at.Seconds(), p.X, p.Y, name, got[i], c.not[p])
		}
	}
	t.Logf("%s at %.1fs: %s", c.name, c.at.Seconds(), strings.Join(seen, " "))
}

// TestRoomRecording records a room of synthetic participants through multitrack-play while
// people leave, join, speak without a camera and share a screen, then empties the room and
// expects the recording to finish by itself.
func TestRoomRecording(t *testing.T) {
	s := startService(t, func(c *controller.Config) {
		c.RoomURL = controller.DefaultRoomURL + "&endGrace=2"
	})
	const room, composite = "room1", "room1_composite"
	alice := member{"alice", "Alice Liddell", "red", 400}
	bob := member{"bob", "Bob", "lime", 700}
	carol := member{"carol", "Carol", "magenta", 1100}
	dave := member{"dave", "Dave", "yellow", 1700}
	erin := member{"audio-erin", "Erin Quiet", "", 2300}
	frank := member{"frank", "Frank", "cyan", 0}
	slide := member{"alice_presentation", "Alice (screen)", "white", 0}
	const silentBand = 3500.0

	joined := map[string]*synthetic.Participant{}
	happened := map[string]time.Time{} // when the test saw each join and leave ("leave bob")
	for _, m := range []member{alice, bob, carol, dave} {
		joined[m.id] = s.join(t, room, m, nil)
		happened[m.id] = time.Now()
		time.Sleep(100 * time.Millisecond) // a stable join order: the grid follows it
	}
	if got := s.participants(room); len(got) != 4 || got[0].StreamID != "alice" || got[0].Name != "Alice Liddell" || got[0].Video != "H264" || got[0].Audio != "OPUS" {
		t.Fatalf("participants: %+v", got)
	}
	if b := s.room(room); b.Status != "broadcasting" || len(b.SubTracks) != 4 || b.isRecording {
		t.Fatalf("room before recording: %+v", b)
	}

	r := s.call(http.MethodPost, "/live/rest/v1/media-push/rooms/"+room+"/recording/start",
		map[string]any{"awaitStartSignal": true})
	recStart := time.Now() // the recording begins at the page's start signal, just before this answer
	if !r.Success || r.DataID == nil || *r.DataID != composite {
		t.Fatalf("room recording start: %+v %s", r, r.msg())
	}
	if b := s.room(room); !b.isRecording {
		t.Errorf("room while recording: isRecording is false: %+v", b)
	}
	live := s.whep(t, composite, "") // the composite can be watched while it records
	since := func() time.Duration { return time.Since(recStart) }
	var checks []checkpoint

	// Four cameras: a 2x2 grid in join order.
	s.waitShown(composite, "grid", []string{"alice", "bob", "carol", "dave"}, 20*time.Second)
	time.Sleep(1500 * time.Millisecond)
	fourFrom := since()
	time.Sleep(3 * time.Second)
	checks = append(checks, checkpoint{name: "four participants", at: since() - time.Second, want: map[mediacheck.Point]string{
		{X: 0.25, Y: 0.25}: "red", {X: 0.75, Y: 0.25}: "green", {X: 0.25, Y: 0.75}: "magenta", {X: 0.75, Y: 0.75}: "yellow",
	}})
	fourTo := since() - 500*time.Millisecond

	// Bob leaves: three tiles, the last one centred on the second row.
	happened["leave bob"] = time.Now()
	joined["bob"].Close()
	s.waitShown(composite, "grid", []string{"alice", "carol", "dave"}, 15*time.Second)
	time.Sleep(1500 * time.Millisecond)
	checks = append(checks, checkpoint{name: "bob left", at: since() - 500*time.Millisecond, want: map[mediacheck.Point]string{
		{X: 0.25, Y: 0.25}: "red", {X: 0.75, Y: 0.25}: "magenta", {X: 0.5, Y: 0.75}: "yellow",
	}, not: map[mediacheck.Point][]string{{X: 0.1, Y: 0.75}: {"yellow", "green"}}})

	// An audio-only participant and a fifth camera join: 3 + 2 tiles.
	joined[erin.id] = s.join(t, room, erin, nil)
	happened[erin.id] = time.Now()
	time.Sleep(100 * time.Millisecond)
	joined[frank.id] = s.join(t, room, frank, nil)
	happened[frank.id] = time.Now()
	ids := []string{"alice", "carol", "dave", "audio-erin", "frank"}
	s.waitShown(composite, "grid", ids, 15*time.Second)
	time.Sleep(1500 * time.Millisecond)
	fiveFrom := since()
	time.Sleep(3 * time.Second)
	videoColors := []string{"red", "green", "magenta", "yellow", "cyan", "white", "black"}
	checks = append(checks, checkpoint{name: "five tiles", at: since() - time.Second, want: map[mediacheck.Point]string{
		{X: 1.0 / 6, Y: 0.25}: "red", {X: 0.5, Y: 0.25}: "magenta", {X: 5.0 / 6, Y: 0.25}: "yellow", {X: 2.0 / 3, Y: 0.75}: "cyan",
	}, not: map[mediacheck.Point][]string{{X: 1.0 / 3, Y: 0.75}: videoColors}}) // the audio-only tile: initials, no picture
	fiveTo := since() - 500*time.Millisecond

	// Alice shares her screen: full frame, her camera in the corner.
	joined[slide.id] = s.join(t, room, slide, url.Values{"screenShare": {"true"}})
	happened[slide.id] = time.Now()
	ids = append(ids, slide.id)
	s.waitShown(composite, "screen", ids, 15*time.Second)
	time.Sleep(1500 * time.Millisecond)
	checks = append(checks, checkpoint{name: "screen share", at: since() - 500*time.Millisecond, want: map[mediacheck.Point]string{
		{X: 0.5, Y: 0.5}: "white", {X: 0.2, Y: 0.3}: "white", {X: 0.87, Y: 0.85}: "red",
	}})
	if got := s.participants(room); got[len(got)-1].Presenter != "alice" || !got[len(got)-1].ScreenShare {
		t.Errorf("screen share participant: %+v", got[len(got)-1])
	}
	if n := live.videoFrames.Load(); n < 100 {
		t.Errorf("a WHEP viewer of the composite received %d video frames in %s, want ≥ 100", n, since().Round(time.Second))
	}

	// Everyone leaves: the page signals the end and the recording finishes by itself.
	for _, p := range joined {
		p.Close()
	}
	emptied := since()
	b := s.waitState(composite, "COMPLETE", 40*time.Second)
	if !strings.Contains(b.Reason, "signalled its end") {
		t.Errorf("the session completed with reason %q, want the page's end signal", b.Reason)
	}
	if b := s.room(room); b.isRecording {
		t.Errorf("room after the recording: isRecording is true")
	}

	v := s.vodOf(composite)
	path := s.download(v)
	info := checkRecording(t, path, "h264", "aac", 1280, 720, 0, 10)
	// The room emptied at `emptied`; the page noticed within a poll, waited its 2 s grace and signalled.
	if info.Duration < emptied+time.Second || info.Duration > emptied+6*time.Second {
		t.Errorf("the recording lasts %s; the room emptied at %s and the page ends it 2-4 s later", info.Duration, emptied)
	}
	t.Logf("room recording: %.1fs, %.1f fps, %d bytes", info.Duration.Seconds(), info.Video.FPS, v.FileSize)
	for _, c := range checks {
		c.verify(t, path)
	}
	checkRoomTimeline(t, s, v, happened)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	level := func(f float64, from, to time.Duration) float64 {
		l, err := mediacheck.ToneLevel(ctx, path, f, from, to)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%.0f Hz from %.1fs to %.1fs: %.1f dB", f, from.Seconds(), to.Seconds(), l)
		return l
	}
	silent := level(silentBand, fourFrom, fourTo)
	for _, m := range []member{alice, bob, carol, dave} {
		if l := level(m.tone, fourFrom, fourTo); l < silent+20 {
			t.Errorf("four participants: %s's %.0f Hz at %.1f dB, the silent band at %.1f dB: not heard", m.id, m.tone, l, silent)
		}
	}
	silent = level(silentBand, fiveFrom, fiveTo)
	if l := level(erin.tone, fiveFrom, fiveTo); l < silent+20 {
		t.Errorf("the audio-only participant's %.0f Hz at %.1f dB, silent band %.1f dB: not heard", erin.tone, l, silent)
	}
	if l := level(bob.tone, fiveFrom, fiveTo); l > silent+10 {
		t.Errorf("bob left but his %.0f Hz is at %.1f dB (silent band %.1f dB)", bob.tone, l, silent)
	}
}

// TestRoomRecordingRoutes drives a room recording with the one-call routes: start, the
// recording indicator, a live viewer, stop. The speaker layout shows the one who speaks.
func TestRoomRecordingRoutes(t *testing.T) {
	s := startService(t)
	s.join(t, "standup", member{"yan", "Yan", "lime", 0}, nil) // camera on, silent
	time.Sleep(100 * time.Millisecond)
	zoe := s.join(t, "standup", member{"zoe", "Zoe", "blue", 600}, nil)
	r := s.call(http.MethodPost, "/live/rest/v1/media-push/rooms/standup/recording/start", map[string]any{"layout": "speaker"})
	started := time.Now()
	if !r.Success || r.DataID == nil || *r.DataID != "standup_composite" {
		t.Fatalf("start: %+v %s", r, r.msg())
	}
	if b := s.broadcast("standup_composite"); b.Width != 1280 || b.Height != 720 || b.State != "ACTIVE" {
		t.Errorf("composite broadcast: %+v", b)
	}
	if !s.room("standup").isRecording {
		t.Error("isRecording is false while recording")
	}
	if r := s.call(http.MethodPost, "/live/rest/v1/media-push/rooms/standup/recording/start", nil); r.Success || !strings.Contains(r.msg(), "already exists") {
		t.Errorf("a second start: %+v %s", r, r.msg())
	}
	v := s.whep(t, "standup_composite", "")
	s.waitShown("standup_composite", "speaker", []string{"yan", "zoe"}, 15*time.Second)
	deadline := time.Now().Add(10 * time.Second)
	for st := s.pageState("standup_composite"); !slices.Equal(st.Speaking, []string{"zoe"}); st = s.pageState("standup_composite") {
		if time.Now().After(deadline) {
			t.Fatalf("the active speaker is %v, want [zoe] (the only one with sound)", st.Speaking)
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond)
	speaker := checkpoint{name: "speaker layout", at: time.Since(started) - 500*time.Millisecond, want: map[mediacheck.Point]string{
		{X: 0.5, Y: 0.39}: "blue", {X: 0.5, Y: 0.89}: "green",
	}}
	time.Sleep(time.Second)
	// Zoe drops out and comes back: her audio is recorded as two legs.
	zoe.Close()
	time.Sleep(500 * time.Millisecond)
	s.join(t, "standup", member{"zoe", "Zoe", "blue", 600}, nil)
	time.Sleep(2 * time.Second)
	pushed := time.Since(started)
	if r := s.call(http.MethodPost, "/live/rest/v1/media-push/rooms/standup/recording/stop", nil); !r.Success {
		t.Fatalf("stop: %s", r.msg())
	}
	if f := v.videoFrames.Load(); f < 30 {
		t.Errorf("the live viewer received %d frames in %s", f, pushed.Round(time.Second))
	}
	if s.room("standup").isRecording {
		t.Error("isRecording is true after stop")
	}
	if r := s.call(http.MethodPost, "/live/rest/v1/media-push/rooms/standup/recording/stop", nil); r.Success || !strings.Contains(r.msg(), "not being recorded") {
		t.Errorf("a second stop: %+v %s", r, r.msg())
	}
	path := s.download(s.vodOf("standup_composite"))
	// The page changes as often as its participants' pictures: 15 fps here.
	checkRecording(t, path, "h264", "aac", 1280, 720, pushed, 10)
	speaker.verify(t, path)
	checkLegs(t, s, "zoe", 2, 600)
	for _, bad := range []struct{ path, body, want string }{
		{"/live/rest/v1/media-push/rooms/bad%20room/recording/start", "", "room id"},
		{"/live/rest/v1/media-push/rooms/standup/recording/start", `{"layout":"mosaic"}`, "layout"},
		{"/live/rest/v1/media-push/rooms/standup/recording/start", `{"width":100,"height":100}`, "out of range"},
		{"/live/rest/v1/media-push/rooms/standup/recording/start", `{"colour":1}`, "unknown field"},
	} {
		if r := s.call(http.MethodPost, bad.path, bad.body); r.Success || !strings.Contains(r.msg(), bad.want) {
			t.Errorf("POST %s %s: %+v %q, want an error about %s", bad.path, bad.body, r, r.msg(), bad.want)
		}
	}
}

// TestAwaitStartSignalTimeout starts a page that never signals: the start fails with the reason.
func TestAwaitStartSignalTimeout(t *testing.T) {
	s := startService(t, func(c *controller.Config) { c.StartSignalTimeout = 4 * time.Second })
	r := s.start("nosignal", map[string]any{"url": s.page("test-pattern.html"), "width": 640, "height": 360,
		"recordType": "mp4", "awaitStartSignal": true})
	if r.Success || !strings.Contains(r.msg(), "no start signal") || !strings.Contains(r.msg(), "START_RECORDING") {
		t.Fatalf("start: %+v %q", r, r.msg())
	}
	if b := s.broadcast("nosignal"); b.State != "FAILED" {
		t.Errorf("broadcast: %+v", b)
	}
	for _, v := range s.vods() {
		if v.StreamID == "nosignal" {
			t.Errorf("a recording was kept of a session that never started: %+v", v)
		}
	}
}

// TestConferencePage joins a room from conference.html in a browser with a (fake) camera and
// microphone, as a person would, and sees the other participant there.
func TestConferencePage(t *testing.T) {
	s := startService(t)
	s.join(t, "meet", member{"hal", "Hal", "red", 500}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// A person's browser, not a capture session: Chromium's fake devices stand in for the
	// camera and microphone.
	br := personBrowser(t, ctx, browser.Options{
		Switches: map[string]any{"use-fake-device-for-media-stream": true, "use-fake-ui-for-media-stream": true}}, 1280, 720)
	if err := br.Open(ctx, s.page("conference.html?room=meet&name=Grace&autojoin=1")); err != nil {
		t.Fatal(err)
	}
	var grace *controller.Participant
	deadline := time.Now().Add(15 * time.Second)
	for grace == nil && time.Now().Before(deadline) {
		for _, p := range s.participants("meet") {
			if p.Name == "Grace" {
				grace = &p
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	if grace == nil || grace.Video == "" || grace.Audio == "" {
		t.Fatalf("the browser did not join with camera and microphone: %+v", s.participants("meet"))
	}
	js := `[...document.querySelectorAll('figure')].filter(f => f.querySelector('video').readyState >= 2).map(f => f.querySelector('figcaption').textContent).join(',')`
	for shown := ""; shown != "Grace (you),Hal"; {
		if time.Now().After(deadline) {
			t.Fatalf("the conference page shows %q playing, want Grace (you) and Hal", shown)
		}
		time.Sleep(300 * time.Millisecond)
		var err error
		if shown, err = br.Evaluate(ctx, js); err != nil {
			t.Fatal(err)
		}
	}
	// Grace's browser plays in Hal's room: a viewer of Grace gets her camera.
	v := s.whep(t, grace.StreamID, "")
	deadline = time.Now().Add(10 * time.Second)
	for v.videoFrames.Load() < 10 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if v.videoFrames.Load() < 10 || v.audioPackets.Load() < 10 {
		t.Errorf("a viewer of the browser's stream got %d frames, %d audio packets", v.videoFrames.Load(), v.audioPackets.Load())
	}
	if _, err := br.Evaluate(ctx, `document.getElementById('leave').click(), 'ok'`); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(5 * time.Second)
	for len(s.participants("meet")) > 1 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if got := s.participants("meet"); len(got) != 1 {
		t.Errorf("Grace left, the room still lists %+v", got)
	}
}

// voxeetPage draws a changing picture, plays a tone and adds Dolby's marker elements: started
// after 1 s, ended after 5 s.
const voxeetPage = `<!DOCTYPE html><html><body style="margin:0"><canvas id="c" width="640" height="360"></canvas><script>
const g = document.getElementById('c').getContext('2d');
let n = 0;
(function draw() { g.fillStyle = 'hsl(' + (n++ % 360) + ',80%,50%)'; g.fillRect(0, 0, 640, 360); requestAnimationFrame(draw); })();
const a = new AudioContext(), o = a.createOscillator(), v = a.createGain();
v.gain.value = 0.2; o.connect(v).connect(a.destination); o.start();
function mark(id) { const d = document.createElement('div'); d.id = id; document.body.appendChild(d); }
setTimeout(() => mark('conferenceStartedVoxeet'), 1000);
setTimeout(() => mark('conferenceEndedVoxeet'), 5000);
</script></body></html>`

// TestVoxeetMarkers records a page that speaks Dolby's layout contract: the recording starts
// at #conferenceStartedVoxeet and the session completes by itself at #conferenceEndedVoxeet.
func TestVoxeetMarkers(t *testing.T) {
	s := startService(t)
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, voxeetPage) //nolint:errcheck // the test's own page
	}))
	defer page.Close()
	r := s.start("dolby", map[string]any{"url": page.URL, "width": 640, "height": 360, "recordType": "mp4", "awaitStartSignal": true})
	if !r.Success {
		t.Fatalf("start: %s", r.msg())
	}
	b := s.waitState("dolby", "COMPLETE", 20*time.Second)
	if !strings.Contains(b.Reason, "signalled its end") {
		t.Errorf("reason %q", b.Reason)
	}
	info := checkRecording(t, s.download(s.vodOf("dolby")), "h264", "aac", 640, 360, 0, 20)
	// Started at 1 s, ended at 5 s; each marker is seen within half a second.
	if info.Duration < 3*time.Second || info.Duration > 5*time.Second {
		t.Errorf("the recording lasts %s, want the 4 s between the markers", info.Duration)
	}
}

// checkLegs checks a participant's individual audio recordings: legs files, each carrying
// the participant's tone, listed with who and when.
func checkLegs(t *testing.T, s *service, participant string, legs int, tone float64) {
	t.Helper()
	var found []vod
	for _, v := range s.vods() {
		if v.Kind == "individual" && v.StreamID == participant {
			found = append(found, v)
		}
	}
	if len(found) != legs {
		t.Fatalf("%s has %d individual recordings, want %d: %+v", participant, len(found), legs, found)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, v := range found {
		var info struct {
			Room, ParticipantID, Name string
			JoinedAt, LeftAt          time.Time
		}
		if err := json.Unmarshal([]byte(v.Info), &info); err != nil || info.ParticipantID != participant || !info.LeftAt.After(info.JoinedAt) {
			t.Errorf("leg %s: info %q (%v)", v.VodName, v.Info, err)
		}
		path := s.download(v)
		level, err := mediacheck.ToneLevel(ctx, path, tone, 0, 0)
		silent, _ := mediacheck.ToneLevel(ctx, path, 3500, 0, 0)
		if err != nil || level < silent+20 {
			t.Errorf("leg %s: %.0f Hz at %.1f dB, silent band %.1f dB (%v)", v.VodName, tone, level, silent, err)
		}
		if v.Format != "mp3" || v.Duration < 500 {
			t.Errorf("leg %s: %+v", v.VodName, v)
		}
		t.Logf("leg %s: %d ms, %.0f Hz at %.1f dB", v.VodName, v.Duration, tone, level)
	}
}

// checkRoomTimeline checks the timeline listed with TestRoomRecording's VoD: the four who were
// in the room when it began at its first frame, the later joins and bob's leave within a
// second of when the test saw them, the screen share as alice's, the page's start and end
// signals; chapters that parse and name who is in the room. Deleting the VoD deletes it.
func checkRoomTimeline(t *testing.T, s *service, v vod, happened map[string]time.Time) {
	t.Helper()
	tl := s.timelineOf(v)
	for _, id := range []string{"alice", "bob", "carol", "dave", "audio-erin", "frank"} {
		tl.expectAt(t, "join", id, happened[id], v)
	}
	tl.expectAt(t, "leave", "bob", happened["leave bob"], v)
	tl.expectAt(t, "screenShareStart", "alice_presentation", happened["alice_presentation"], v)
	if e := tl.event(t, "join", "alice"); !e.OffRecord || e.At != 0 || e.Name != "Alice Liddell" {
		t.Errorf("alice, in the room before the recording began: %+v", e)
	}
	if e := tl.event(t, "screenShareStart", "alice_presentation"); e.Presenter != "alice" {
		t.Errorf("the screen share's presenter: %+v", e)
	}
	for _, id := range []string{"alice", "carol", "dave", "audio-erin", "frank"} {
		tl.event(t, "leave", id) // everyone leaves before the page signals the end
	}
	tl.event(t, "startSignal", "")
	end := tl.event(t, "endSignal", "")
	if last := tl.chapters[len(tl.chapters)-1]; end.At < last.to.Seconds()-1 {
		t.Errorf("the end signal at %.3fs, the chapters end at %s", end.At, last.to)
	}
	first := tl.chapters[0]
	if first.from != 0 || first.text != "Alice Liddell, Bob, Carol, Dave" {
		t.Errorf("the first chapter: %+v", first)
	}
	left := tl.chapterWith(t, "Bob leaves", "Alice Liddell, Carol, Dave")
	if want := happened["leave bob"].Sub(time.UnixMilli(v.StartTime)); left.from-want > time.Second || want-left.from > time.Second {
		t.Errorf("the chapter of bob's leave starts at %s, the test saw him leave at %s", left.from, want)
	}
	tl.chapterWith(t, "Erin Quiet", "Frank joins")
	tl.chapterWith(t, "Alice Liddell shares a screen")
	for _, c := range tl.chapters {
		t.Logf("chapter %s --> %s %s", c.from, c.to, c.text)
	}

	if resp, _ := s.do(http.MethodDelete, "/live/rest/v2/vods/"+v.VodID, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("deleting the VoD: HTTP %d", resp.StatusCode)
	}
	for _, u := range []string{v.Timeline.JSON, v.Timeline.WebVTT} {
		if resp, _ := s.do(http.MethodGet, u, nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s after its VoD was deleted: HTTP %d, want 404", u, resp.StatusCode)
		}
	}
}
