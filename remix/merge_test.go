package remix

import (
	"os"
	"path/filepath"
	"testing"
)

func TestMergeSameJoinsScenesThePageShowsAlike(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a, a2, b := write("0.png", "picture A"), write("1.png", "picture A"), write("2.png", "picture B")
	boxes := []Box{{StreamID: "x", W: 10, H: 10, ClipW: 10, ClipH: 10}}
	moved := []Box{{StreamID: "x", X: 5, W: 10, H: 10, ClipX: 5, ClipW: 10, ClipH: 10}}
	scenes := []Scene{{FromMs: 0, ToMs: 100, Speaker: "x"}, {FromMs: 100, ToMs: 200, Speaker: "y"}, {FromMs: 200, ToMs: 300},
		{FromMs: 300, ToMs: 400}, {FromMs: 400, ToMs: 500}}
	frames := []Frame{{Image: a, Boxes: boxes}, {Image: a2, Boxes: boxes}, {Image: b, Boxes: boxes}, {Image: b, Boxes: moved}, {Image: b, Boxes: moved}}
	s, f, err := MergeSame(scenes, frames)
	if err != nil {
		t.Fatal(err)
	}
	if len(s) != 3 || s[0].ToMs != 200 || s[0].Speaker != "x" || s[1].FromMs != 200 || s[1].ToMs != 300 || s[2].FromMs != 300 || s[2].ToMs != 500 {
		t.Errorf("merged scenes: %+v", s)
	}
	if len(f) != 3 || f[0].Image != a || f[1].Image != b || f[2].Boxes[0].X != 5 {
		t.Errorf("merged frames: %+v", f)
	}
	if _, _, err := MergeSame(scenes[:1], []Frame{{Image: filepath.Join(dir, "missing.png")}}); err == nil {
		t.Error("a missing image: no error")
	}
}
