package raw

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/rs/zerolog"

	"mediapush/internal/recname"
	"mediapush/rooms"
	"mediapush/timeline"
)

// fakeClock is a clock the test moves.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var t0 = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)

// The manifest on disk says, after each change, where the room's clock began and where each
// publication's join, media, events and leave fall on it; no temporary file is left beside it.
func TestManifestOnTheRoomClock(t *testing.T) {
	dir := t.TempDir()
	clock := &fakeClock{t: t0}
	path := filepath.Join(dir, "r.raw.json")
	f, err := newManifestFile(path, "r", "r-raw-x", clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	m := readBack(t, path)
	if m.Room != "r" || !m.StartedAt.Equal(t0) || len(m.Publications) != 0 || m.EndedMs != nil {
		t.Fatalf("manifest at the start: %+v", m)
	}
	clock.advance(1500 * time.Millisecond)
	f.update(func(m *Manifest) { //nolint:errcheck // read back below
		m.Publications = append(m.Publications, Publication{StreamID: "a", Kind: Camera, File: "f.mkv", JoinedMs: f.clock()})
	})
	clock.advance(time.Second)
	f.publication(1, func(p *Publication) { p.Events = append(p.Events, Event{Kind: timeline.AudioMuted, AtMs: f.clock()}) }) //nolint:errcheck // read back below
	f.publication(2, func(p *Publication) { t.Error("a publication that is not there was changed") })                         //nolint:errcheck // nothing to write
	clock.advance(time.Second)
	f.publication(1, func(p *Publication) { p.LeftMs = ms(f.clock()) }) //nolint:errcheck // read back below
	m = readBack(t, path)
	if len(m.Publications) != 1 {
		t.Fatalf("publications: %+v", m.Publications)
	}
	p := m.Publications[0]
	if p.JoinedMs != 1500 || p.LeftMs == nil || *p.LeftMs != 3500 || len(p.Events) != 1 || p.Events[0].AtMs != 2500 || p.Events[0].Kind != timeline.AudioMuted {
		t.Errorf("publication on the room's clock: %+v", p)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("the directory holds %d files, want the manifest alone", len(entries))
	}
}

func readBack(t *testing.T, path string) Manifest {
	t.Helper()
	m, err := ReadManifest(path)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// A room recorded raw while a recording holds it: an audio-only participant's packets go to
// an Ogg file as relayed, its mute is noted, and the recording ends, delivered to the streams
// directory, when the last holder lets it go.
func TestRecorderAudioOnlyPublication(t *testing.T) {
	hub, err := rooms.New(rooms.Config{Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	defer hub.Close()
	s, err := hub.Add(rooms.StreamInfo{ID: "alice", Kind: rooms.KindWHIP, Room: "r", Name: "Alice"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	fw, err := s.AddTrack(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2})
	if err != nil {
		t.Fatal(err)
	}
	work, streams := t.TempDir(), t.TempDir()
	clock := &fakeClock{t: t0}
	done := make(chan Done, 1)
	r, err := New(Config{Hub: hub, WorkDir: work, StreamsDir: streams, Now: clock.Now, OnDone: func(d Done) { done <- d }, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	clock.advance(2 * time.Second)
	r.Hold("r", "r_composite")
	r.Hold("r", "r_mix_1")
	for i := range 50 {
		fw.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 111, SequenceNumber: uint16(i), Timestamp: uint32(i * 960)}, Payload: []byte{0xfc, 0xff, 0xfe}})
	}
	clock.advance(time.Second)
	r.Notice("r", "alice", timeline.AudioMuted)
	r.Notice("r", "bob", timeline.AudioMuted) // not in the room
	clock.advance(time.Second)
	r.Release("r_composite")
	select {
	case d := <-done:
		t.Fatalf("the recording ended while a mix held it: %+v", d)
	default:
	}
	r.Release("r_mix_1")
	d := <-done
	r.Close()

	m := d.Manifest
	if d.Key != recname.RawManifest(m.ID) || m.Room != "r" || !m.StartedAt.Equal(t0.Add(2*time.Second)) || m.EndedMs == nil || *m.EndedMs != 2000 || m.Interrupted {
		t.Errorf("recording: key %s, manifest %+v", d.Key, m)
	}
	if len(m.Publications) != 1 {
		t.Fatalf("publications: %+v", m.Publications)
	}
	p := m.Publications[0]
	if p.StreamID != "alice" || p.Name != "Alice" || p.Kind != AudioOnly || p.Audio == "" || p.JoinedMs != 0 || p.LeftMs == nil || *p.LeftMs != 2000 ||
		p.MediaStartMs == nil || len(p.Events) != 1 || p.Events[0] != (Event{Kind: timeline.AudioMuted, AtMs: 1000}) {
		t.Errorf("publication: %+v", p)
	}
	if mf, ok := recname.RawOf(p.File); !ok || mf != d.Key {
		t.Errorf("the publication's file %q is not named after its manifest %q", p.File, d.Key)
	}
	if len(d.Files) != 2 || d.Files[0] != p.File || d.Files[1] != d.Key {
		t.Errorf("files %v, want the publication's then the manifest", d.Files)
	}
	for _, f := range d.Files {
		if st, err := os.Stat(filepath.Join(streams, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s is not in the streams directory: %v", f, err)
		}
	}
	if disk := readBack(t, filepath.Join(streams, d.Key)); disk.EndedMs == nil || len(disk.Publications) != 1 {
		t.Errorf("the manifest delivered: %+v", disk)
	}
	if left, _ := os.ReadDir(work); len(left) != 0 {
		t.Errorf("the work directory keeps %d files", len(left))
	}
}

// After a kill, Recover closes a recording: a publication still open leaves when its file was
// last written, one whose file never got media loses its file, and the recording is marked
// interrupted and delivered.
func TestRecoverClosesAnInterruptedRecording(t *testing.T) {
	work, streams := t.TempDir(), t.TempDir()
	stem := recname.Raw("r", t0)
	m := Manifest{Version: ManifestVersion, Room: "r", ID: stem, StartedAt: t0, Publications: []Publication{
		{StreamID: "a", Kind: AudioOnly, File: recname.RawTrack(stem, 1, ".ogg"), JoinedMs: 100, MediaStartMs: ms(120)},
		{StreamID: "b", Kind: AudioOnly, File: recname.RawTrack(stem, 2, ".ogg"), JoinedMs: 200},
	}}
	if err := writeManifest(filepath.Join(work, recname.RawManifest(stem)), m); err != nil {
		t.Fatal(err)
	}
	a := filepath.Join(work, m.Publications[0].File)
	os.WriteFile(a, []byte("OggS…"), 0o644)                               //nolint:errcheck // checked by Recover
	os.WriteFile(filepath.Join(work, m.Publications[1].File), nil, 0o644) //nolint:errcheck // an empty file
	if err := os.Chtimes(a, t0.Add(7300*time.Millisecond), t0.Add(7300*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	var got []Done
	r, err := New(Config{WorkDir: work, StreamsDir: streams, OnDone: func(d Done) { got = append(got, d) }, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	r.Recover()
	if len(got) != 1 {
		t.Fatalf("recovered %d recordings", len(got))
	}
	d := got[0].Manifest
	if !d.Interrupted || d.EndedMs == nil || *d.EndedMs != 7300 {
		t.Errorf("recording: %+v", d)
	}
	if p := d.Publications[0]; p.LeftMs == nil || *p.LeftMs != 7300 || p.File == "" {
		t.Errorf("the open publication: %+v", p)
	}
	if p := d.Publications[1]; p.File != "" || p.LeftMs == nil || *p.LeftMs != 200 {
		t.Errorf("the publication without media: %+v", p)
	}
	if len(got[0].Files) != 2 {
		t.Errorf("files %v", got[0].Files)
	}
	if left, _ := os.ReadDir(work); len(left) != 0 {
		t.Errorf("the work directory keeps %d files", len(left))
	}
}

func TestParseMode(t *testing.T) {
	for in, want := range map[string]Mode{"": WithRecording, "always": Always, "withRecording": WithRecording, "off": Off} {
		if m, err := ParseMode(in); err != nil || m != want {
			t.Errorf("ParseMode(%q) = %q, %v", in, m, err)
		}
	}
	if _, err := ParseMode("sometimes"); err == nil {
		t.Error("ParseMode accepted sometimes")
	}
}
