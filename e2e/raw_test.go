package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"mediapush/internal/mediacheck"
	"mediapush/raw"
	"mediapush/synthetic"
)

// rawMember is a synthetic participant with its own picture size.
type rawMember struct {
	member
	width, height int
	colorName     string  // as mediacheck.ColorName names its colour
	gain          float64 // the tone's synthetic.Options.ToneGain
}

// publish joins m to room at its picture size and returns when the room lists it.
func (s *service) publish(t *testing.T, room string, m rawMember) *synthetic.Participant {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := synthetic.Publish(ctx, s.base+"/live/whip/"+m.id+"?mainTrack="+room+"&name="+m.name, synthetic.Options{
		Color: m.color, Tone: m.tone, ToneGain: m.gain, Width: m.width, Height: m.height,
		Log: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel),
	})
	if err != nil {
		t.Fatalf("%s cannot join %s: %v", m.id, room, err)
	}
	t.Cleanup(func() { p.Close() })
	s.waitParticipant(room, m.id, 10*time.Second)
	return p
}

// rawVoD waits for the room's raw recording to be listed.
func (s *service) rawVoD(room string, within time.Duration) vod {
	s.t.Helper()
	deadline := time.Now().Add(within)
	for {
		for _, v := range s.vods() {
			if v.Kind == "raw" && v.StreamID == room {
				return v
			}
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("no raw recording of %s listed within %s: %+v", room, within, s.vods())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// fetch downloads one file of the streams directory.
func (s *service) fetch(name string) string {
	s.t.Helper()
	resp, body := s.do(http.MethodGet, "/live/streams/"+name, nil)
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("download %s: HTTP %d", name, resp.StatusCode)
	}
	path := filepath.Join(s.t.TempDir(), name)
	if err := os.WriteFile(path, body, 0o644); err != nil {
		s.t.Fatal(err)
	}
	return path
}

// rawManifest downloads a raw recording's manifest and checks that its VoD lists its files.
func (s *service) rawManifest(v vod) raw.Manifest {
	s.t.Helper()
	if v.Format != "raw" || v.FilePath != "streams/"+v.VodName {
		s.t.Errorf("raw VoD: %+v", v)
	}
	var m raw.Manifest
	if err := json.Unmarshal(readFile(s.t, s.fetch(v.VodName)), &m); err != nil {
		s.t.Fatal(err)
	}
	var info struct {
		Files []string `json:"files"`
	}
	if err := json.Unmarshal([]byte(v.Info), &info); err != nil || len(info.Files) == 0 || info.Files[len(info.Files)-1] != v.VodName {
		s.t.Errorf("the raw VoD's info lists files %v (%v), want the publications' and the manifest last", info.Files, err)
	}
	return m
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wall is a time on the manifest's room clock as a wall time.
func wall(m raw.Manifest, ms int64) time.Time {
	return m.StartedAt.Add(time.Duration(ms) * time.Millisecond)
}

func near(a, b time.Time, tol time.Duration) bool { return a.Sub(b).Abs() <= tol }

// checkRawFile checks that a publication's file plays as published: H264 at the publisher's
// size with its colour, Opus with its tone, and returns its length and its tracks'.
func checkRawFile(t *testing.T, path string, m rawMember) (length, video, audio time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	info, err := mediacheck.Probe(ctx, path)
	if err != nil {
		t.Fatalf("%s: %v", m.id, err)
	}
	if info.Video == nil || info.Audio == nil {
		t.Fatalf("%s's file: video %+v, audio %+v; want both", m.id, info.Video, info.Audio)
	}
	if info.Video.Codec != "h264" || info.Video.Width != m.width || info.Video.Height != m.height {
		t.Errorf("%s's file: video %+v, want h264 %dx%d", m.id, info.Video, m.width, m.height)
	}
	if info.Audio.Codec != "opus" {
		t.Errorf("%s's file: audio %+v, want opus", m.id, info.Audio)
	}
	if err := mediacheck.Decodes(ctx, path); err != nil {
		t.Errorf("%s's file does not decode cleanly: %v", m.id, err)
	}
	// The files are written as they come, with no duration in their header: their streams'
	// packets tell how long they last.
	dur := max(info.Duration, info.Video.Duration, info.Audio.Duration)
	mid := dur / 2
	colors, err := mediacheck.FrameColors(ctx, path, mid, []mediacheck.Point{{X: 0.5, Y: 0.5}})
	if err != nil {
		t.Fatalf("%s: %v", m.id, err)
	}
	if name := mediacheck.ColorName(colors[0]); name != m.colorName {
		t.Errorf("%s's file shows %s at %.1fs, want %s", m.id, colors[0], mid.Seconds(), m.colorName)
	}
	const silentBand = 3500.0
	from, to := dur/4, dur*3/4
	tone, err := mediacheck.ToneLevel(ctx, path, m.tone, from, to)
	if err != nil {
		t.Fatal(err)
	}
	silent, err := mediacheck.ToneLevel(ctx, path, silentBand, from, to)
	if err != nil {
		t.Fatal(err)
	}
	if tone < silent+20 {
		t.Errorf("%s's %.0f Hz at %.1f dB, the silent band at %.1f dB: not heard", m.id, m.tone, tone, silent)
	}
	t.Logf("%s: %s, %dx%d, %.1f fps, tone %.1f dB over silence %.1f dB", m.id, dur.Round(10*time.Millisecond),
		info.Video.Width, info.Video.Height, info.Video.FPS, tone, silent)
	return dur, info.Video.Duration, info.Audio.Duration
}

// TestRawRoomRecording records a room while three participants are in it, one leaves and one
// joins: the raw recording lists the four publications at the times the test saw them, and
// each one's file holds what it published, from its join to its leave.
func TestRawRoomRecording(t *testing.T) {
	s := startService(t)
	const room = "rawroom"
	alice := rawMember{member: member{"alice", "Alice", "red", 400}, width: 640, height: 360, colorName: "red"}
	bob := rawMember{member: member{"bob", "Bob", "lime", 700}, width: 320, height: 180, colorName: "green"}
	carol := rawMember{member: member{"carol", "Carol", "magenta", 1100}, width: 480, height: 270, colorName: "magenta"}
	dave := rawMember{member: member{"dave", "Dave", "yellow", 1700}, width: 320, height: 240, colorName: "yellow"}
	joined := map[string]*synthetic.Participant{}
	for _, m := range []rawMember{alice, bob, carol} {
		joined[m.id] = s.publish(t, room, m)
	}

	asked := time.Now()
	r := s.call(http.MethodPost, "/live/rest/v1/media-push/rooms/"+room+"/recording/start", map[string]any{})
	if !r.Success {
		t.Fatalf("room recording start: %s", r.msg())
	}
	saw := map[string][2]time.Time{} // when the test saw each publication join and leave
	for _, m := range []rawMember{alice, bob, carol} {
		saw[m.id] = [2]time.Time{asked}
	}
	time.Sleep(4 * time.Second)
	joined["bob"].Close()
	saw["bob"] = [2]time.Time{asked, time.Now()}
	time.Sleep(2 * time.Second)
	joined["dave"] = s.publish(t, room, dave)
	saw["dave"] = [2]time.Time{time.Now()}
	time.Sleep(5 * time.Second)

	stopped := time.Now()
	if r := s.call(http.MethodPost, "/live/rest/v1/media-push/rooms/"+room+"/recording/stop", nil); !r.Success {
		t.Fatalf("room recording stop: %s", r.msg())
	}
	for _, id := range []string{"alice", "carol", "dave"} {
		saw[id] = [2]time.Time{saw[id][0], stopped}
	}

	v := s.rawVoD(room, 30*time.Second)
	m := s.rawManifest(v)
	if m.Room != room || m.EndedMs == nil || m.Interrupted || len(m.Publications) != 4 {
		t.Fatalf("manifest: %+v", m)
	}
	if !near(m.StartedAt, asked, time.Second) {
		t.Errorf("the raw recording began at %s, the recording was asked for at %s", m.StartedAt, asked)
	}
	members := map[string]rawMember{"alice": alice, "bob": bob, "carol": carol, "dave": dave}
	for i, p := range m.Publications {
		mem, ok := members[p.StreamID]
		if !ok || p.Kind != raw.Camera || p.Name != mem.name || p.LeftMs == nil || p.MediaStartMs == nil || p.File == "" {
			t.Errorf("publication %d: %+v", i+1, p)
			continue
		}
		delete(members, p.StreamID)
		join, leave := wall(m, p.JoinedMs), wall(m, *p.LeftMs)
		if want := saw[p.StreamID]; !near(join, want[0], time.Second) || !near(leave, want[1], time.Second) {
			t.Errorf("%s joined at %s and left at %s on the manifest's clock; the test saw %s and %s",
				p.StreamID, join.Format(time.StampMilli), leave.Format(time.StampMilli), want[0].Format(time.StampMilli), want[1].Format(time.StampMilli))
		}
		if p.Width != mem.width || p.Height != mem.height {
			t.Errorf("%s: manifest says %dx%d, published %dx%d", p.StreamID, p.Width, p.Height, mem.width, mem.height)
		}
		if lag := *p.MediaStartMs - p.JoinedMs; lag < 0 || lag > 1000 {
			t.Errorf("%s's file begins %d ms after its join, want its first keyframe within a second", p.StreamID, lag)
		}
		got, _, _ := checkRawFile(t, s.fetch(p.File), mem)
		want := time.Duration(*p.LeftMs-*p.MediaStartMs) * time.Millisecond
		if (got - want).Abs() > time.Second {
			t.Errorf("%s's file lasts %s, from its first frame to its leave is %s", p.StreamID, got, want)
		}
	}
	if len(members) > 0 {
		t.Errorf("publications missing from the manifest: %v", members)
	}

	// Deleting the VoD deletes every file of the raw recording.
	var info struct {
		Files []string `json:"files"`
	}
	json.Unmarshal([]byte(v.Info), &info) //nolint:errcheck // checked by rawManifest
	resp, _ := s.do(http.MethodDelete, "/live/rest/v2/vods/"+v.VodID, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("delete the raw recording: HTTP %d", resp.StatusCode)
	}
	for _, f := range info.Files {
		if _, err := os.Stat(filepath.Join(s.data, "streams", f)); !os.IsNotExist(err) {
			t.Errorf("%s outlived its VoD: %v", f, err)
		}
	}
}

// TestRawRoomKilled kills a node (SIGKILL) while it records a room raw (rooms.rawRecording:
// always) and starts another on its data: the recording is listed, each publication's file
// plays and holds what was recorded but at most about the last second.
func TestRawRoomKilled(t *testing.T) {
	bin := binary(t)
	data := t.TempDir()
	t.Setenv("MEDIAPUSH_ROOMS_RAW_RECORDING", "always")
	p := serve(t, bin, data)
	s := &service{t: t, base: p.base, data: data}
	const room = "killedroom"
	alice := rawMember{member: member{"alice", "Alice", "red", 400}, width: 640, height: 360, colorName: "red"}
	bob := rawMember{member: member{"bob", "Bob", "lime", 700}, width: 320, height: 180, colorName: "green"}
	for _, m := range []rawMember{alice, bob} {
		s.publish(t, room, m)
	}
	time.Sleep(6 * time.Second)
	p.cmd.Process.Signal(syscall.SIGKILL) //nolint:errcheck // checked by its exit
	killed := time.Now()
	<-p.done

	p = serve(t, bin, data)
	s.base = p.base
	v := s.rawVoD(room, 30*time.Second)
	if !v.Partial {
		t.Errorf("the raw recording cut short by the kill is not marked partial: %+v", v)
	}
	m := s.rawManifest(v)
	if !m.Interrupted || m.EndedMs == nil || len(m.Publications) != 2 {
		t.Fatalf("manifest: %+v", m)
	}
	members := map[string]rawMember{"alice": alice, "bob": bob}
	for _, pub := range m.Publications {
		mem := members[pub.StreamID]
		if pub.LeftMs == nil || pub.MediaStartMs == nil || pub.File == "" {
			t.Errorf("publication: %+v", pub)
			continue
		}
		if leave := wall(m, *pub.LeftMs); leave.After(killed.Add(time.Second)) || leave.Before(killed.Add(-2*time.Second)) {
			t.Errorf("%s left at %s on the manifest's clock; the node was killed at %s", pub.StreamID, leave.Format(time.StampMilli), killed.Format(time.StampMilli))
		}
		_, video, audio := checkRawFile(t, s.fetch(pub.File), mem)
		recorded := killed.Sub(wall(m, *pub.MediaStartMs))
		t.Logf("%s: video %s and audio %s of %s recorded before the kill", pub.StreamID,
			video.Round(10*time.Millisecond), audio.Round(10*time.Millisecond), recorded.Round(10*time.Millisecond))
		// Each track loses at most a second.
		if video < recorded-time.Second || audio < recorded-time.Second {
			t.Errorf("%s's file holds video %s and audio %s; %s were recorded before the kill", pub.StreamID, video, audio, recorded)
		}
	}
}
