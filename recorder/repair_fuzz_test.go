package recorder

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"mediapush/media"
)

// smallRecording writes a few VP8 frames through the Writer, as a recording in progress leaves
// them, and returns the file's bytes.
func smallRecording(tb testing.TB) []byte {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "small.mkv")
	w, err := Create(path, media.Track{Codec: media.VP8, ClockRate: 90000}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	for i := range 4 {
		// A keyframe header: frame tag, start code, 64x48; then a few bytes of "picture".
		frame := []byte{0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A, 64, 0, 48, 0, byte(i), 1, 2, 3}
		if i > 0 {
			frame[0] |= 0x01 // an interframe
		}
		if err := w.WriteVideo(media.Sample{PTS: time.Duration(i) * 33 * time.Millisecond, Keyframe: i == 0, Frame: frame}); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// Whatever a crashed process left, Repair fails and leaves the file as it was, or leaves a prefix
// of it (size fields aside) that Repair then finds intact.
func FuzzRepair(f *testing.F) {
	rec := smallRecording(f)
	f.Add(rec)
	for _, cut := range []int{len(rec) - 1, len(rec) - 5, len(rec) * 3 / 4, len(rec) / 2, len(rec) / 3, 40, 5, 3} {
		f.Add(rec[:cut])
	}
	f.Add(append(bytes.Clone(rec), 0x1F, 0x43, 0xB6, 0x75, 0x88, 0xA3))
	// EBML header, unknown-sized Segment, a Cluster with one block, then the Tracks, then a cut
	// Cluster: cutting after the block would drop the track header.
	f.Add([]byte{0x1A, 0x45, 0xDF, 0xA3, 0x80,
		0x18, 0x53, 0x80, 0x67, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
		0x1F, 0x43, 0xB6, 0x75, 0x86, 0xA3, 0x84, 0x81, 0x00, 0x00, 0x80,
		0x16, 0x54, 0xAE, 0x6B, 0x80,
		0x1F, 0x43, 0xB6, 0x75, 0x88, 0xA3})
	f.Add([]byte{})
	f.Add([]byte{0x1A, 0x45})
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "cut.mkv")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		err := Repair(path)
		after, rerr := os.ReadFile(path)
		if rerr != nil {
			t.Fatal(rerr)
		}
		if err != nil {
			if !bytes.Equal(after, data) {
				t.Fatalf("Repair failed (%v) and changed the file", err)
			}
			return
		}
		if len(after) > len(data) {
			t.Fatalf("Repair grew the file from %d to %d bytes", len(data), len(after))
		}
		if err := Repair(path); err != nil {
			t.Fatalf("a repaired file does not repair again: %v", err)
		}
		again, rerr := os.ReadFile(path)
		if rerr != nil {
			t.Fatal(rerr)
		}
		if !bytes.Equal(again, after) {
			t.Fatal("a repaired file is changed by a second Repair")
		}
	})
}
