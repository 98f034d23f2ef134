package recorder

import (
	"path/filepath"
	"testing"
	"time"

	"mediapush/media"
)

// BenchmarkWrite measures one 40 ms step of a VP8 + Opus recording: one
// 8 KB video frame (keyframe every 25) and two 160-byte Opus packets.
func BenchmarkWrite(b *testing.B) {
	w, err := Create(filepath.Join(b.TempDir(), "bench.mkv"), media.Track{Codec: media.VP8, ClockRate: 90000},
		&media.Track{Codec: media.Opus, ClockRate: 48000, Channels: 2})
	if err != nil {
		b.Fatal(err)
	}
	key, delta := vp8Frame(true, 8000), vp8Frame(false, 8000)
	opus := make([]byte, 160)
	opus[0] = 0xFC
	b.SetBytes(8000 + 2*160)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		pts := time.Duration(i) * 40 * time.Millisecond
		frame := delta
		if i%25 == 0 {
			frame = key
		}
		if err := w.WriteVideo(media.Sample{PTS: pts, Frame: frame}); err != nil {
			b.Fatal(err)
		}
		w.WriteAudio(media.Sample{PTS: pts, Frame: opus})
		w.WriteAudio(media.Sample{PTS: pts + 20*time.Millisecond, Frame: opus})
	}
	b.StopTimer()
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	if st := w.Stats(); st.Dropped != 0 {
		b.Errorf("dropped %d", st.Dropped)
	}
}
