package remix

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"mediapush/raw"
)

// BenchmarkRender renders 20 s of four participants at 640×360 (moving test pictures, a
// tone each) in a 2×2 grid at 1280×720 and 30 fps, and reports the speed as a multiple
// of real time.
func BenchmarkRender(b *testing.B) {
	const secs = 20
	src := b.TempDir()
	pages := b.TempDir()
	m := raw.Manifest{Version: raw.ManifestVersion, EndedMs: ms(secs * 1000)}
	var boxes []Box
	var labels []rect
	var people []Participant
	for i := range 4 {
		name := fmt.Sprintf("p%d.mkv", i)
		ffmpegFixture(b, src, name,
			"-f", "lavfi", "-i", fmt.Sprintf("testsrc2=s=640x360:r=30:d=%d", secs),
			"-f", "lavfi", "-i", fmt.Sprintf("sine=f=%d:r=48000:d=%d", 300+200*i, secs),
			"-c:v", "libx264", "-preset", "ultrafast", "-g", "60", "-pix_fmt", "yuv420p",
			"-c:a", "libopus", "-b:a", "48k", "-f", "matroska")
		p := raw.Publication{StreamID: fmt.Sprintf("p%d", i), Kind: raw.Camera, File: name, Video: "h264", Audio: "opus",
			Width: 640, Height: 360, MediaStartMs: ms(0)}
		m.Publications = append(m.Publications, p)
		people = append(people, participant(p))
		x, y := float64(640*(i%2)), float64(360*(i/2))
		boxes = append(boxes, box(p.StreamID, x+4, y+4, 632, 352))
		labels = append(labels, rect{int(x) + 12, int(y) + 320, 120, 24})
	}
	page := filepath.Join(pages, "grid.png")
	pagePNG(b, page, 1280, 720, boxes, labels)
	opts := RenderOptions{Manifest: m, SourceDir: src,
		Scenes: []Scene{{FromMs: 0, ToMs: secs * 1000, Participants: people}},
		Frames: []Frame{{Image: page, Boxes: boxes}},
		Width:  1280, Height: 720, FPS: 30, Format: FormatMP4}
	ctx := testContext(b)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		o := opts
		o.WorkDir = filepath.Join(b.TempDir(), "work")
		o.Out = filepath.Join(b.TempDir(), "out.mp4")
		if err := Render(ctx, o); err != nil {
			b.Fatal(err)
		}
	}
	speed := float64(secs*b.N) / time.Since(start).Seconds()
	b.ReportMetric(speed, "x-realtime")
	b.Logf("rendered %d s of 4 participants at 1280x720@30 at %.2f× real time", secs*b.N, speed)
}
