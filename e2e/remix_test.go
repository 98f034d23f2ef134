package e2e

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"path"
	"strings"
	"syscall"
	"testing"
	"time"

	"mediapush/catalog"
	"mediapush/controller"
	"mediapush/internal/mediacheck"
	"mediapush/raw"
)

// The remix tests' room: Alice, Bob and Carol are in it from the start, Bob leaves and Dave
// joins. Carol is the loudest: she is the active speaker throughout.
var (
	remixAlice = rawMember{member: member{"alice", "Alice", "red", 400}, width: 640, height: 360, colorName: "red", gain: -15}
	remixBob   = rawMember{member: member{"bob", "Bob", "lime", 700}, width: 640, height: 360, colorName: "green", gain: -15}
	remixCarol = rawMember{member: member{"carol", "Carol", "blue", 1100}, width: 640, height: 360, colorName: "blue", gain: 0}
	remixDave  = rawMember{member: member{"dave", "Dave", "yellow", 1700}, width: 640, height: 360, colorName: "yellow", gain: -15}
)

func withRawRecordingAlways(cfg *controller.Config) { cfg.RawRecording = raw.Always }

// holdRemixMeeting holds the test room's meeting on s and returns its raw recording's VoD
// and manifest once the room has emptied.
func holdRemixMeeting(t *testing.T, s *service, room string) (vod, raw.Manifest) {
	t.Helper()
	ps := map[string]interface{ Close() error }{}
	for _, m := range []rawMember{remixAlice, remixBob, remixCarol} {
		ps[m.id] = s.publish(t, room, m)
	}
	time.Sleep(5 * time.Second)
	ps["bob"].Close()
	time.Sleep(4 * time.Second)
	ps["dave"] = s.publish(t, room, remixDave)
	time.Sleep(5 * time.Second)
	for _, id := range []string{"alice", "carol", "dave"} {
		ps[id].Close()
	}
	v := s.rawVoD(room, 30*time.Second)
	return v, s.rawManifest(v)
}

// remixState is a remix as GET /api/v1/remixes/{id} shows it.
func (s *service) remixState(id string) catalog.Remix {
	s.t.Helper()
	var r catalog.Remix
	if code := s.getJSON("/api/v1/remixes/"+id, &r); code != http.StatusOK {
		s.t.Fatalf("remix %s: HTTP %d", id, code)
	}
	return r
}

// waitMeasured waits until the VoD of id is measured and returns it.
func (s *service) waitMeasured(id string, within time.Duration) measuredVoD {
	s.t.Helper()
	deadline := time.Now().Add(within)
	for {
		var v measuredVoD
		if code := s.getJSON("/live/rest/v2/vods/"+id, &v); code != http.StatusOK {
			s.t.Fatalf("VoD %s: HTTP %d", id, code)
		}
		if v.Quality != catalog.QualityPending {
			return v
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("VoD %s still not measured after %s", id, within)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func jsonInto(b []byte, v any) error { return json.Unmarshal(b, v) }

// publicationOf is the manifest's (last) publication of a stream.
func publicationOf(t *testing.T, m raw.Manifest, id string) raw.Publication {
	t.Helper()
	var found *raw.Publication
	for i := range m.Publications {
		if m.Publications[i].StreamID == id {
			found = &m.Publications[i]
		}
	}
	if found == nil || found.LeftMs == nil || found.MediaStartMs == nil {
		t.Fatalf("the raw recording has no whole publication of %s: %+v", id, m.Publications)
	}
	return *found
}

// spot is a place in the picture and the participant whose colour it should show.
type spot struct {
	at mediacheck.Point
	m  rawMember
}

// checkRemixFile checks a remix's file: its size, rate and length are the raw recording's,
// each participant shows where the layout puts them before Bob leaves, between his leave
// and Dave's join, and after it, and each one's tone is heard while they are in the room.
func checkRemixFile(t *testing.T, path string, m raw.Manifest, scenes [3][]spot) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	info, err := mediacheck.Probe(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	want := time.Duration(*m.EndedMs) * time.Millisecond
	if info.Video == nil || info.Audio == nil {
		t.Fatalf("remix: video %+v, audio %+v; want both", info.Video, info.Audio)
	}
	if info.Video.Width != 1280 || info.Video.Height != 720 {
		t.Errorf("remix is %dx%d, want 1280x720", info.Video.Width, info.Video.Height)
	}
	if wantFrames := int64(want.Seconds()*30 + 0.5); info.Video.Frames < wantFrames-1 || info.Video.Frames > wantFrames+1 {
		t.Errorf("remix has %d frames, want %d: 30 a second over the room's %s", info.Video.Frames, wantFrames, want)
	}
	if d := info.Video.Duration - want; d.Abs() > 50*time.Millisecond {
		t.Errorf("remix's picture lasts %s, the room's recording %s", info.Video.Duration, want)
	}
	if d := info.Audio.Duration - want; d.Abs() > 50*time.Millisecond {
		t.Errorf("remix's sound lasts %s, the room's recording %s", info.Audio.Duration, want)
	}
	if err := mediacheck.Decodes(ctx, path); err != nil {
		t.Errorf("remix does not decode cleanly: %v", err)
	}

	bob, dave := publicationOf(t, m, "bob"), publicationOf(t, m, "dave")
	ms := func(v int64) time.Duration { return time.Duration(v) * time.Millisecond }
	times := [3]time.Duration{ms(*bob.LeftMs) - 1500*time.Millisecond, ms(*bob.LeftMs+*dave.MediaStartMs) / 2, ms(*dave.MediaStartMs) + 1500*time.Millisecond}
	for i, at := range times {
		points := make([]mediacheck.Point, len(scenes[i]))
		for j, sp := range scenes[i] {
			points[j] = sp.at
		}
		colors, err := mediacheck.FrameColors(ctx, path, at, points)
		if err != nil {
			t.Fatal(err)
		}
		for j, sp := range scenes[i] {
			if got := mediacheck.ColorName(colors[j]); got != sp.m.colorName {
				t.Errorf("at %.1fs, (%.2f, %.2f) shows %s, want %s's %s", at.Seconds(), sp.at.X, sp.at.Y, colors[j], sp.m.id, sp.m.colorName)
			}
		}
	}

	// A tone plays at -12 dBFS (-27 for the quieter ones); the codecs leave traces of the
	// others in a band, far below this.
	const silentBand, outOfRoomDB = 3500.0, -55.0
	heard := func(freq float64, from, to time.Duration) (tone, silent float64) {
		tone, err := mediacheck.ToneLevel(ctx, path, freq, from, to)
		if err != nil {
			t.Fatal(err)
		}
		silent, err = mediacheck.ToneLevel(ctx, path, silentBand, from, to)
		if err != nil {
			t.Fatal(err)
		}
		return tone, silent
	}
	for _, c := range []struct {
		m        rawMember
		from, to time.Duration
		in       bool
	}{
		{remixAlice, time.Second, want - time.Second, true},
		{remixCarol, time.Second, want - time.Second, true},
		{remixBob, time.Second, ms(*bob.LeftMs) - 500*time.Millisecond, true},
		{remixBob, ms(*bob.LeftMs) + 500*time.Millisecond, want - time.Second, false},
		{remixDave, time.Second, ms(dave.JoinedMs) - 500*time.Millisecond, false},
		{remixDave, ms(*dave.MediaStartMs) + 500*time.Millisecond, want - time.Second, true},
	} {
		tone, silent := heard(c.m.tone, c.from, c.to)
		switch {
		case c.in && tone < silent+20:
			t.Errorf("%s's %.0f Hz at %.1f dB from %s to %s, the silent band at %.1f dB: not heard", c.m.id, c.m.tone, tone, c.from, c.to, silent)
		case !c.in && tone > outOfRoomDB:
			t.Errorf("%s's %.0f Hz at %.1f dB from %s to %s (the silent band at %.1f dB): heard while out of the room", c.m.id, c.m.tone, tone, c.from, c.to, silent)
		}
		t.Logf("%s's %.0f Hz from %s to %s: %.1f dB (in the room: %v)", c.m.id, c.m.tone, c.from.Round(time.Millisecond), c.to.Round(time.Millisecond), tone, c.in)
	}
}

// checkRemixTimeline checks that a remix lists a timeline whose joins and leaves are the
// manifest's, at their times on the remix.
func checkRemixTimeline(t *testing.T, s *service, v vod, m raw.Manifest) {
	t.Helper()
	if v.Timeline == nil || v.Timeline.JSON == "" || v.Timeline.WebVTT == "" {
		t.Fatalf("the remix lists no timeline: %+v", v)
	}
	u, err := url.Parse(v.Timeline.JSON)
	if err != nil {
		t.Fatal(err)
	}
	var tl struct {
		Events []struct {
			Type     string  `json:"type"`
			At       float64 `json:"at"`
			StreamID string  `json:"streamId"`
		} `json:"events"`
	}
	if err := json.Unmarshal(readFile(t, s.fetch(path.Base(u.Path))), &tl); err != nil {
		t.Fatal(err)
	}
	find := func(kind, id string) float64 {
		for _, e := range tl.Events {
			if e.Type == kind && e.StreamID == id {
				return e.At
			}
		}
		t.Errorf("the remix's timeline has no %s of %s: %+v", kind, id, tl.Events)
		return -1
	}
	bob, dave := publicationOf(t, m, "bob"), publicationOf(t, m, "dave")
	for _, c := range []struct {
		kind, id string
		wantMs   int64
	}{{"leave", "bob", *bob.LeftMs}, {"join", "dave", dave.JoinedMs}} {
		if at := find(c.kind, c.id); math.Abs(at-float64(c.wantMs)/1000) > 0.01 {
			t.Errorf("the remix's timeline has %s's %s at %.3fs, the manifest at %.3fs", c.id, c.kind, at, float64(c.wantMs)/1000)
		}
	}
	find("activeSpeaker", "carol")
}

// Where the layouts put the room's participants (fractions of the picture; the tiles' centres).
var (
	// Grid: three make two rows of two with the last centred; two share one row.
	gridScenes = [3][]spot{
		{{mediacheck.Point{X: 0.25, Y: 0.25}, remixAlice}, {mediacheck.Point{X: 0.75, Y: 0.25}, remixBob}, {mediacheck.Point{X: 0.5, Y: 0.75}, remixCarol}},
		{{mediacheck.Point{X: 0.25, Y: 0.5}, remixAlice}, {mediacheck.Point{X: 0.75, Y: 0.5}, remixCarol}},
		{{mediacheck.Point{X: 0.25, Y: 0.25}, remixAlice}, {mediacheck.Point{X: 0.75, Y: 0.25}, remixCarol}, {mediacheck.Point{X: 0.5, Y: 0.75}, remixDave}},
	}
	// Speaker: Carol large at the top, the others in a centred row of quarter-width tiles.
	speakerScenes = [3][]spot{
		{{mediacheck.Point{X: 0.5, Y: 0.39}, remixCarol}, {mediacheck.Point{X: 0.375, Y: 0.89}, remixAlice}, {mediacheck.Point{X: 0.625, Y: 0.89}, remixBob}},
		{{mediacheck.Point{X: 0.5, Y: 0.39}, remixCarol}, {mediacheck.Point{X: 0.5, Y: 0.89}, remixAlice}},
		{{mediacheck.Point{X: 0.5, Y: 0.39}, remixCarol}, {mediacheck.Point{X: 0.375, Y: 0.89}, remixAlice}, {mediacheck.Point{X: 0.625, Y: 0.89}, remixDave}},
	}
)

// TestRemixRoom records a room raw only (no mix was recorded), then remixes it twice, in the
// grid layout from Ant Media's side and in the speaker layout through Dolby's call: the second
// waits for the first; each makes a listed, measured mix of the room's length with everyone
// where the layout puts them at the right times and every tone; both render faster than the
// meeting lasted.
func TestRemixRoom(t *testing.T) {
	s := startService(t, withRawRecordingAlways)
	const room = "remixroom"
	rawVoD, m := holdRemixMeeting(t, s, room)

	r := s.call(http.MethodPost, "/live/rest/v1/media-push/rooms/"+room+"/remix", map[string]any{"layout": "grid"})
	if !r.Success || r.DataID == nil {
		t.Fatalf("grid remix: %s", r.msg())
	}
	grid := *r.DataID
	var dolby struct {
		RemixID string `json:"remixId"`
		Status  string `json:"status"`
		MixID   string `json:"mixId"`
	}
	speakerPage := s.page("multitrack-play.html?id=" + url.QueryEscape(room) + "&layout=speaker")
	resp, body := s.do(http.MethodPost, "/v2/conferences/mix/"+room+"/remix",
		map[string]any{"layoutUrl": speakerPage, "width": 1280, "height": 720, "mixId": "speaker", "format": "mp4"})
	if resp.StatusCode != http.StatusOK || jsonInto(body, &dolby) != nil || dolby.Status != catalog.RemixQueued {
		t.Fatalf("speaker remix through Dolby's call: HTTP %d %s; want it QUEUED behind the grid's", resp.StatusCode, body)
	}

	// Both run to the end, one at a time, their progress rising.
	seen := map[string][]int{}
	deadline := time.Now().Add(3 * time.Minute)
	for {
		g, sp := s.remixState(grid), s.remixState(dolby.RemixID)
		if g.Status == catalog.RemixInProgress && sp.Status == catalog.RemixInProgress {
			t.Fatal("two remixes of one conference render at once")
		}
		for _, x := range []catalog.Remix{g, sp} {
			if x.Status == catalog.RemixError {
				t.Fatalf("remix %s failed: %s", x.MixID, x.Error)
			}
			if x.Status == catalog.RemixInProgress {
				seen[x.ID] = append(seen[x.ID], x.Progress)
			}
		}
		if g.Status == catalog.RemixCompleted && sp.Status == catalog.RemixCompleted {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("remixes not done within 3 minutes: %+v, %+v", g, sp)
		}
		time.Sleep(150 * time.Millisecond)
	}
	var status struct {
		Status  string          `json:"status"`
		Remixes []catalog.Remix `json:"remixes"`
	}
	if code := s.getJSON("/v2/conferences/mix/"+room+"/remix/status", &status); code != http.StatusOK ||
		status.Status != catalog.RemixCompleted || len(status.Remixes) != 2 {
		t.Errorf("Dolby's remix status: HTTP %d %+v", code, status)
	}

	for _, c := range []struct {
		id, mixID string
		scenes    [3][]spot
	}{{grid, "grid", gridScenes}, {dolby.RemixID, "speaker", speakerScenes}} {
		t.Run(c.mixID, func(t *testing.T) {
			x := s.remixState(c.id)
			progress := seen[c.id]
			for i := 1; i < len(progress); i++ {
				if progress[i] < progress[i-1] {
					t.Errorf("progress went back: %v", progress)
				}
			}
			if len(progress) == 0 || progress[len(progress)-1] == 0 {
				t.Errorf("no progress was seen while it rendered: %v", progress)
			}
			speed := float64(x.DurationMs) / float64(x.RenderMs)
			t.Logf("remix %s: %d ms of meeting rendered in %d ms: %.2fx real time; progress seen %v", c.mixID, x.DurationMs, x.RenderMs, speed, progress)
			if x.DurationMs != rawVoD.Duration {
				t.Errorf("the remix says the meeting lasted %d ms, the raw recording %d ms", x.DurationMs, rawVoD.Duration)
			}
			v := s.waitMeasured(x.VodID, time.Minute)
			if v.Kind != "mix" || v.StreamID != room+"_remix_"+c.mixID || v.Format != "mp4" || v.Duration != rawVoD.Duration {
				t.Errorf("the remix's VoD: %+v", v.vod)
			}
			if v.Quality != catalog.QualityOK {
				t.Errorf("the remix measured %s: %+v", v.Quality, v.QualityReport)
			}
			checkRemixFile(t, s.fetch(v.VodName), m, c.scenes)
			checkRemixTimeline(t, s, v.vod, m)
		})
	}

	// Dolby's Monitor API lists both with their layouts.
	var monitor struct {
		Recordings []controller.MixRecording `json:"recordings"`
	}
	if code := s.getJSON("/v2/monitor/conferences/"+room+"/recordings", &monitor); code != http.StatusOK || len(monitor.Recordings) != 2 {
		t.Fatalf("Monitor API: HTTP %d, %+v", code, monitor)
	}
	for _, rec := range monitor.Recordings {
		if rec.Mix == nil || rec.Mix.Width != 1280 || rec.Mix.Height != 720 || rec.Mix.LayoutURL == "" {
			t.Errorf("Monitor API recording: %+v", rec)
		}
	}
}

// TestRemixRefusals: a room never recorded raw, a layout page that does not use room.js.
func TestRemixRefusals(t *testing.T) {
	s := startService(t, withRawRecordingAlways)
	r := s.call(http.MethodPost, "/live/rest/v1/media-push/rooms/neverheld/remix", map[string]any{"layout": "grid"})
	if r.Success || !strings.Contains(r.msg(), "no raw recording") {
		t.Errorf("remix of a room never recorded raw: %s", r.msg())
	}
	resp, body := s.do(http.MethodPost, "/v2/conferences/mix/neverheld/remix", map[string]any{"layoutUrl": s.page("multitrack-play.html?id=x"), "format": "webm"})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "format") {
		t.Errorf("remix as webm: HTTP %d %s", resp.StatusCode, body)
	}

	const room = "plainpage"
	p := s.publish(t, room, remixAlice)
	time.Sleep(3 * time.Second)
	p.Close()
	s.rawVoD(room, 30*time.Second)
	before := len(s.vods())
	var started struct {
		RemixID string `json:"remixId"`
	}
	resp, body = s.do(http.MethodPost, "/v2/conferences/mix/"+room+"/remix/start", map[string]any{"layoutUrl": s.page("test-pattern.html")})
	if resp.StatusCode != http.StatusOK || jsonInto(body, &started) != nil {
		t.Fatalf("remix start: HTTP %d %s", resp.StatusCode, body)
	}
	deadline := time.Now().Add(time.Minute)
	x := s.remixState(started.RemixID)
	for x.Status != catalog.RemixError && x.Status != catalog.RemixCompleted && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		x = s.remixState(started.RemixID)
	}
	if x.Status != catalog.RemixError || !strings.Contains(x.Error, "room.js") {
		t.Errorf("remix through a page without room.js: %+v; want ERROR naming room.js", x)
	}
	if after := len(s.vods()); after != before {
		t.Errorf("a failed remix listed %d recordings", after-before)
	}
}

// TestRemixKilled kills a node (SIGKILL) while it renders a remix and starts another on its
// data: the remix is taken up where it stopped and completes, and nothing half-written was
// ever listed.
func TestRemixKilled(t *testing.T) {
	bin := binary(t)
	data := t.TempDir()
	t.Setenv("MEDIAPUSH_ROOMS_RAW_RECORDING", "always")
	p := serve(t, bin, data)
	s := &service{t: t, base: p.base, data: data}
	const room = "killedremix"
	_, m := holdRemixMeeting(t, s, room)

	r := s.call(http.MethodPost, "/live/rest/v1/media-push/rooms/"+room+"/remix", map[string]any{"layout": "grid"})
	if !r.Success || r.DataID == nil {
		t.Fatalf("grid remix: %s", r.msg())
	}
	id := *r.DataID
	deadline := time.Now().Add(2 * time.Minute)
	x := s.remixState(id)
	for x.Progress < 30 && x.Status != catalog.RemixCompleted && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		x = s.remixState(id)
	}
	if x.Status != catalog.RemixInProgress {
		t.Fatalf("remix before the kill: %+v, want it rendering", x)
	}
	if n := len(vodsOf[vod](s, room+"_remix_grid")); n != 0 {
		t.Fatalf("%d remix recordings listed while it rendered", n)
	}
	p.cmd.Process.Signal(syscall.SIGKILL) //nolint:errcheck // checked by its exit
	<-p.done
	t.Logf("killed at %d%%", x.Progress)

	p = serve(t, bin, data)
	s.base = p.base
	deadline = time.Now().Add(3 * time.Minute)
	for x = s.remixState(id); x.Status != catalog.RemixCompleted; x = s.remixState(id) {
		if x.Status == catalog.RemixError || time.Now().After(deadline) {
			t.Fatalf("remix after the restart: %+v", x)
		}
		time.Sleep(200 * time.Millisecond)
	}
	listed := vodsOf[vod](s, room+"_remix_grid")
	if len(listed) != 1 || listed[0].VodID != x.VodID {
		t.Fatalf("remix recordings listed: %+v, want the one remix %s", listed, x.VodID)
	}
	checkRemixFile(t, s.fetch(listed[0].VodName), m, gridScenes)
}
