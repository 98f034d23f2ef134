package worker

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"mediapush/recorder"
)

// A sidecar left in recording/ by an earlier process is read without a panic whatever it holds,
// and what is read is written back unchanged, so a retried finish sees the same recording.
func FuzzReadSidecar(f *testing.F) {
	started := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	good := sidecar{StreamID: "s1", Formats: []recorder.Format{recorder.MP4, recorder.MP3}, StartedAt: started, Base: "s1-20260301-120000"}
	path := filepath.Join(f.TempDir(), "seed.json")
	if err := good.write(path); err != nil {
		f.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"streamId":"s1","formats":["hls"],"startedAt":"2026-03-01T12:00:00.5+01:00","base":"s1"}`))
	f.Add([]byte(`{"streamId":"s1","formats":null,"startedAt":"0001-01-01T00:00:00Z","base":""}`))
	f.Add([]byte(`{"streamId":1}`))
	f.Add([]byte(`{"startedAt":"yesterday"}`))
	f.Add([]byte(`{"STREAMID":"s1","streamId":"s2"}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(``))
	f.Add([]byte("{\"base\":\"\xff\"}"))
	f.Add([]byte(`{"streamId":"s1","formats":["mp4"],"startedAt":"2026-03-01T12:00:00Z","base":"../../etc/cron.d/x"}`))
	f.Add([]byte(`{"streamId":"../s1","formats":["mp4"],"startedAt":"2026-03-01T12:00:00Z","base":"s1"}`))
	f.Add([]byte(`{"streamId":"s1","formats":["mp4"],"startedAt":"2026-03-01T12:00:00Z","base":".."}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		src := filepath.Join(dir, "in.json")
		if err := os.WriteFile(src, data, 0o600); err != nil {
			t.Fatal(err)
		}
		m, err := readSidecar(src)
		if err != nil {
			if m.StreamID != "" || m.Base != "" || m.Formats != nil || !m.StartedAt.IsZero() {
				t.Fatalf("a refused sidecar came back partly read: %+v", m)
			}
			return
		}
		if m.Base == "" || m.Base != filepath.Base(m.Base) || m.Base == "." || m.Base == ".." || filepath.Base(m.StreamID) != m.StreamID {
			t.Fatalf("accepted names that leave streams/: %+v", m)
		}
		again := filepath.Join(dir, "again.json")
		if err := m.write(again); err != nil {
			if m.StartedAt.Year() < 0 || m.StartedAt.Year() > 9999 {
				return // a time JSON cannot hold: the sidecar is written only with the session's own start
			}
			t.Fatalf("cannot write back %+v: %v", m, err)
		}
		back, err := readSidecar(again)
		if err != nil {
			t.Fatalf("cannot read back %+v: %v", m, err)
		}
		if back.StreamID != m.StreamID || back.Base != m.Base || !slices.Equal(back.Formats, m.Formats) || !back.StartedAt.Equal(m.StartedAt) {
			t.Fatalf("read %+v, read back %+v", m, back)
		}
	})
}
