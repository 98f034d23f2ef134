package remix

import (
	"path/filepath"
	"testing"

	"mediapush/raw"
)

// room is a recorded room of three: alice's camera (red, 440 Hz, H.264) from the start
// until 4.5 s, carol audio-only (700 Hz) from 1 s to 5 s, bob's camera (green, 1000 Hz,
// VP8) from 2 s to the end at 6 s. It is laid out at 640×360: alice alone in the middle,
// then alice left and bob right (his picture cropped to the right half), then bob alone
// filling the frame. A white label lies over the bottom of alice's picture.
type room struct {
	opts RenderOptions
}

const (
	roomW, roomH = 640, 360
	roomEndMs    = 6000
	aliceTone    = 440
	bobTone      = 1000
	carolTone    = 700
)

func newRoom(t testing.TB) room {
	t.Helper()
	src := t.TempDir()
	cameraFile(t, src, "alice.mkv", "red", 320, 240, aliceTone, 4.4, "h264")
	cameraFile(t, src, "bob.mkv", "0x00FF00", 640, 360, bobTone, 3.9, "vp8")
	audioOnlyFile(t, src, "carol.ogg", carolTone, 4)
	alice := raw.Publication{StreamID: "alice", Name: "Alice", Kind: raw.Camera, File: "alice.mkv", Video: "h264", Audio: "opus",
		Width: 320, Height: 240, JoinedMs: 0, LeftMs: ms(4500), MediaStartMs: ms(100)}
	carol := raw.Publication{StreamID: "carol", Name: "Carol", Kind: raw.AudioOnly, File: "carol.ogg", Audio: "opus",
		JoinedMs: 1000, LeftMs: ms(5000), MediaStartMs: ms(1000)}
	bob := raw.Publication{StreamID: "bob", Name: "Bob", Kind: raw.Camera, File: "bob.mkv", Video: "vp8", Audio: "opus",
		Width: 640, Height: 360, JoinedMs: 2000, MediaStartMs: ms(2100)}
	m := raw.Manifest{Version: raw.ManifestVersion, Room: "r", ID: "r-raw", EndedMs: ms(roomEndMs),
		Publications: []raw.Publication{alice, carol, bob}}

	pages := t.TempDir()
	aliceMid := box("alice", 160, 60, 320, 240)
	aliceLeft := box("alice", 0, 60, 320, 240)
	// object-fit: cover of 640×360 into 320×240: 427 wide, centred, clipped to the tile.
	bobRight := Box{StreamID: "bob", X: 266.5, Y: 60, W: 427, H: 240, ClipX: 320, ClipY: 60, ClipW: 320, ClipH: 240}
	bobFull := box("bob", 0, 0, 640, 360)
	labelMid, labelLeft := rect{170, 270, 100, 20}, rect{10, 270, 100, 20}
	pageAlice := filepath.Join(pages, "alice.png")
	pageBoth := filepath.Join(pages, "both.png")
	pageBob := filepath.Join(pages, "bob.png")
	pagePNG(t, pageAlice, roomW, roomH, []Box{aliceMid}, []rect{labelMid})
	pagePNG(t, pageBoth, roomW, roomH, []Box{aliceLeft, bobRight}, []rect{labelLeft})
	pagePNG(t, pageBob, roomW, roomH, []Box{bobFull}, nil)
	pa, pc, pb := participant(alice), participant(carol), participant(bob)
	scenes := []Scene{
		{FromMs: 0, ToMs: 1000, Participants: []Participant{pa}},
		{FromMs: 1000, ToMs: 2000, Participants: []Participant{pa, pc}},
		{FromMs: 2000, ToMs: 4500, Participants: []Participant{pa, pc, pb}},
		{FromMs: 4500, ToMs: 5000, Participants: []Participant{pc, pb}},
		{FromMs: 5000, ToMs: 6000, Participants: []Participant{pb}},
	}
	frames := []Frame{
		{Image: pageAlice, Boxes: []Box{aliceMid}},
		{Image: pageAlice, Boxes: []Box{aliceMid}},
		{Image: pageBoth, Boxes: []Box{aliceLeft, bobRight}},
		{Image: pageBob, Boxes: []Box{bobFull}},
		{Image: pageBob, Boxes: []Box{bobFull}},
	}
	return room{
		opts: RenderOptions{Manifest: m, SourceDir: src, Scenes: scenes, Frames: frames,
			Width: roomW, Height: roomH, FPS: 30, Format: FormatMP4,
			WorkDir: filepath.Join(t.TempDir(), "work"), Out: filepath.Join(t.TempDir(), "out.mp4")},
	}
}
