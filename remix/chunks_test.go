package remix

import "testing"

func TestPlanChunks(t *testing.T) {
	scenes := []Scene{{FromMs: 0, ToMs: 40_000}, {FromMs: 40_000, ToMs: 40_010}, {FromMs: 40_010, ToMs: 52_345}}
	chunks := planChunks(scenes, 30)
	// 40 s in three, the 10 ms scene holds no frame of its own, the last scene in one.
	if len(chunks) != 4 {
		t.Fatalf("chunks %v, want 4", chunks)
	}
	next := int64(0)
	for i, c := range chunks {
		if c.From != next {
			t.Errorf("chunk %d starts at frame %d, want %d (no gap, no overlap)", i, c.From, next)
		}
		if n := c.To - c.From; n <= 0 || n > maxChunkMs*30/1000 {
			t.Errorf("chunk %d has %d frames, want 1 to %d", i, n, maxChunkMs*30/1000)
		}
		next = c.To
	}
	if want := frameAt(52_345, 30); next != want {
		t.Errorf("the chunks end at frame %d, want %d", next, want)
	}
	if chunks[3].Scene != 2 || chunks[0].Scene != 0 {
		t.Errorf("chunks %v: scenes not kept apart", chunks)
	}
}

func TestPlaceBox(t *testing.T) {
	// A picture drawn wider than its tile (object-fit: cover) is cropped to the tile.
	p, ok := placeBox(Box{X: 266.5, Y: 60, W: 427, H: 240, ClipX: 320, ClipY: 60, ClipW: 320, ClipH: 240}, 640, 360)
	if !ok || p != (placed{w: 427, h: 240, cx: 53, cy: 0, cw: 320, ch: 240, x: 320, y: 60}) {
		t.Errorf("cover box placed %+v %v", p, ok)
	}
	// Beyond the output's edge it is cut there.
	p, ok = placeBox(box("a", 600, 300, 100, 100), 640, 360)
	if !ok || p.cw != 40 || p.ch != 60 || p.x != 600 || p.y != 300 {
		t.Errorf("box over the edge placed %+v %v", p, ok)
	}
	if _, ok := placeBox(box("a", 700, 0, 100, 100), 640, 360); ok {
		t.Errorf("a box outside the picture is placed")
	}
}
