package remix

import (
	"path/filepath"
	"testing"
	"time"

	"mediapush/internal/mediacheck"
	"mediapush/raw"
)

// TestRenderAVSync renders a participant whose picture flashes white when its sound
// beeps, once a second, with its file starting 300 ms into the room: picture and sound
// stay together in the output, across a chunk boundary too.
func TestRenderAVSync(t *testing.T) {
	ctx := testContext(t)
	src := t.TempDir()
	// Frames at 25 fps are lit from 0.40 to 0.56 s of each second; the beep sounds from 0.40 s.
	// The file starts with its first picture at 0, as a raw recording does (ffmpeg would
	// otherwise move everything by the Opus encoder's delay).
	ffmpegFixture(t, src, "av.mkv",
		"-f", "lavfi", "-i", "color=c=black:s=320x240:r=25:d=5.5,geq=lum='if(between(mod(T\\,1)\\,0.38\\,0.58)\\,235\\,16)':cb=128:cr=128",
		"-f", "lavfi", "-i", "aevalsrc='if(between(mod(t\\,1)\\,0.4\\,0.6)\\,0.5*sin(2*PI*1000*t)\\,0)':s=48000:d=5.5",
		"-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-pix_fmt", "yuv420p", "-c:a", "libopus", "-b:a", "96k", "-avoid_negative_ts", "disabled", "-f", "matroska")
	pub := raw.Publication{StreamID: "av", Kind: raw.Camera, File: "av.mkv", Video: "h264", Audio: "opus",
		Width: 320, Height: 240, MediaStartMs: ms(300)}
	m := raw.Manifest{Version: raw.ManifestVersion, EndedMs: ms(6000), Publications: []raw.Publication{pub}}
	page := filepath.Join(t.TempDir(), "page.png")
	full := box("av", 0, 0, roomW, roomH)
	pagePNG(t, page, roomW, roomH, []Box{full}, nil)
	p := []Participant{participant(pub)}
	out := filepath.Join(t.TempDir(), "av.mp4")
	err := Render(ctx, RenderOptions{Manifest: m, SourceDir: src,
		Scenes: []Scene{{FromMs: 0, ToMs: 2850, Participants: p}, {FromMs: 2850, ToMs: 6000, Participants: p}},
		Frames: []Frame{{Image: page, Boxes: []Box{full}}, {Image: page, Boxes: []Box{full}}},
		Width:  roomW, Height: roomH, Format: FormatMP4, WorkDir: t.TempDir(), Out: out})
	if err != nil {
		t.Fatal(err)
	}
	offsets, err := mediacheck.AVOffsets(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	if len(offsets) < 5 {
		t.Errorf("%d flash/beep pairs, want 5 or more: %v", len(offsets), offsets)
	}
	// The source's own offset (Opus's pre-skip as ffmpeg muxes it puts its sound a few ms
	// early) is what a player of the raw file sees; the render adds nothing to it.
	srcOffsets, err := mediacheck.AVOffsets(ctx, filepath.Join(src, "av.mkv"))
	if err != nil {
		t.Fatal(err)
	}
	source := mediacheck.MedianAbs(srcOffsets)
	for i, o := range offsets {
		if o < -10*time.Millisecond || o > 10*time.Millisecond {
			t.Errorf("flash %d: the sound is %v from the picture, want within 10 ms (all: %v)", i, o, offsets)
		}
	}
	if added := mediacheck.MedianAbs(offsets) - source; added > 2*time.Millisecond || added < -2*time.Millisecond {
		t.Errorf("the render moved the sound %v against the picture (source %v, output %v)", added, srcOffsets, offsets)
	}
	t.Logf("A/V offsets: source %v, output %v", srcOffsets, offsets)
}
