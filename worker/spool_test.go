package worker

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"mediapush/recorder"
)

// growingFile appends to path what a recorder would, in steps.
func growingFile(t *testing.T, path string) func(b []byte) {
	return func(b []byte) {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write(b); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
}

// newTestSpool starts a spool whose timer never fires: the test ships by hand.
func newTestSpool(t *testing.T, spoolDir, src string, meta sidecar) *spooler {
	sp, err := startSpool(spoolDir, src, meta, time.Hour, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

func TestSpoolCopiesWhatTheFileGainedAsChunks(t *testing.T) {
	dir, spoolDir := t.TempDir(), t.TempDir()
	src := filepath.Join(dir, "s1-20261203-070000.mkv")
	meta := sidecar{StreamID: "s1", Formats: []recorder.Format{recorder.MP4}, Base: "s1-20261203-070000"}
	sp := newTestSpool(t, spoolDir, src, meta)
	if err := sp.ship(); err != nil { // nothing written yet
		t.Fatal(err)
	}
	appendTo := growingFile(t, src)
	appendTo([]byte("hello "))
	sp.ship()
	sp.ship() // nothing new: no empty chunk
	appendTo([]byte("world"))
	sp.close(false) // a failed finish ships the last bytes and keeps the copy

	chunks, err := spooledChunks(spoolDir, filepath.Base(src))
	if err != nil {
		t.Fatal(err)
	}
	var joined strings.Builder
	for _, c := range chunks {
		b, _ := os.ReadFile(c)
		joined.Write(b)
	}
	if len(chunks) != 2 || joined.String() != "hello world" {
		t.Fatalf("chunks %v join to %q, want 2 chunks joining to %q", chunks, joined.String(), "hello world")
	}
	got, err := readSidecar(filepath.Join(spoolDir, filepath.Base(src)+".json"))
	if err != nil || got.StreamID != "s1" || got.Base != meta.Base {
		t.Fatalf("spooled sidecar %+v, %v", got, err)
	}
}

func TestSpoolIsRemovedOnceTheRecordingIsFinished(t *testing.T) {
	dir, spoolDir := t.TempDir(), t.TempDir()
	src := filepath.Join(dir, "s1-20261203-070000.mkv")
	sp := newTestSpool(t, spoolDir, src, sidecar{StreamID: "s1", Base: "s1-20261203-070000"})
	growingFile(t, src)([]byte("media"))
	sp.ship()
	sp.close(true)
	if left, _ := os.ReadDir(spoolDir); len(left) != 0 {
		t.Fatalf("spool dir keeps %d entries after the recording finished", len(left))
	}
}

func TestSpooledChunksStopAtAGap(t *testing.T) {
	dir := t.TempDir()
	for _, seq := range []int{1, 2, 4} {
		os.WriteFile(filepath.Join(dir, "b.mkv."+pad6(seq)+".chunk"), []byte{byte(seq)}, 0o640)
	}
	os.WriteFile(filepath.Join(dir, "b.mkv.other.chunk"), nil, 0o640)
	got, _ := spooledChunks(dir, "b.mkv")
	if len(got) != 2 {
		t.Fatalf("chunks %v: want the first two only (3 is missing)", got)
	}
}

func pad6(n int) string { s := strconv.Itoa(n); return strings.Repeat("0", 6-len(s)) + s }

// TestRecoverSpooledRebuildsALostMachinesRecording ships a real Matroska recording in pieces
// as it grows, loses the last part (the machine died), and rebuilds a playable MP4 from the
// spool alone.
func TestRecoverSpooledRebuildsALostMachinesRecording(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Fatal("ffmpeg is needed: ", err)
	}
	fixture := filepath.Join(t.TempDir(), "clip.mkv")
	out, err := exec.Command("ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "6", "-c:v", "libx264", "-preset", "ultrafast",
		"-g", "30", "-c:a", "libopus", "-live", "1", fixture).CombinedOutput()
	if err != nil {
		t.Fatalf("making the fixture: %v\n%s", err, out)
	}
	media, _ := os.ReadFile(fixture)

	dir, spoolDir, workDir, streams := t.TempDir(), t.TempDir(), t.TempDir(), t.TempDir()
	base := "room1_composite-20261203-070000"
	src := filepath.Join(dir, base+".mkv")
	meta := sidecar{StreamID: "room1_composite", Formats: []recorder.Format{recorder.MP4}, Base: base,
		StartedAt: time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC)}
	sp := newTestSpool(t, spoolDir, src, meta)
	appendTo := growingFile(t, src)
	third := len(media) / 3
	appendTo(media[:third])
	sp.ship()
	appendTo(media[third : 2*third])
	sp.ship()
	appendTo(media[2*third:]) // written locally, never shipped: lost with the machine

	// Another session's spool is not touched.
	other := newTestSpool(t, spoolDir, filepath.Join(dir, "other-20261203-070000.mkv"), sidecar{StreamID: "other", Base: "other-20261203-070000"})
	other.close(false)
	// The machine died writing a chunk: its temporary file is left.
	os.WriteFile(filepath.Join(spoolDir, "."+base+".mkv.000003.chunk.123456"), []byte("half"), 0o640) //nolint:errcheck // checked below

	rebuilt, err := RebuildSpooled(spoolDir, workDir, []string{"room1_composite"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rebuilt) != 1 || len(rebuilt["room1_composite"]) != 1 {
		t.Fatalf("rebuilt %v, want one part of room1_composite", rebuilt)
	}
	recs, err := FinishContinued(context.Background(), workDir, streams, rebuilt["room1_composite"])
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].Format != recorder.MP4 || !recs[0].Partial {
		t.Fatalf("recovered %+v, want one partial MP4", recs)
	}
	// Two thirds of 6 s, less what the cut Matroska cluster held.
	if d := recs[0].Duration; d < 2500*time.Millisecond || d > 4500*time.Millisecond {
		t.Fatalf("recovered %v of media, want about two thirds of 6s", d)
	}
	if p, _ := exec.Command("ffprobe", "-v", "error", "-show_entries", "stream=codec_name", "-of", "csv=p=0", filepath.Join(streams, recs[0].Key)).Output(); !strings.Contains(string(p), "h264") || !strings.Contains(string(p), "aac") {
		t.Fatalf("recovered file has streams %q, want h264 and aac", p)
	}
	left, _ := filepath.Glob(filepath.Join(spoolDir, base+"*"))
	hidden, _ := filepath.Glob(filepath.Join(spoolDir, "."+base+"*"))
	left = append(left, hidden...)
	if len(left) != 0 {
		t.Fatalf("the spooled copy is kept after it was saved: %v", left)
	}
	if others, _ := filepath.Glob(filepath.Join(spoolDir, "other-*")); len(others) == 0 {
		t.Fatal("another stream's spool was removed")
	}
}

// BenchmarkSpoolShip copies what a 720p recording gains in one spool interval (2 s at about
// 3 Mb/s: 750 kB) as one chunk: the cost a recording pays for surviving a lost machine.
func BenchmarkSpoolShip(b *testing.B) {
	dir, spoolDir := b.TempDir(), b.TempDir()
	src := filepath.Join(dir, "s-20261203-070000.mkv")
	sp, err := startSpool(spoolDir, src, sidecar{StreamID: "s", Base: "s-20261203-070000"}, time.Hour, zerolog.Nop())
	if err != nil {
		b.Fatal(err)
	}
	defer sp.close(true)
	f, err := os.Create(src)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	gain := make([]byte, 750_000)
	b.SetBytes(int64(len(gain)))
	for b.Loop() {
		if _, err := f.Write(gain); err != nil {
			b.Fatal(err)
		}
		if err := sp.ship(); err != nil {
			b.Fatal(err)
		}
	}
}
