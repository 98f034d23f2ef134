package remix

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"mediapush/internal/procstat"
	"mediapush/layouts"
)

// The tests run real Chromium: go test under flock /tmp/e2e.lock.

const outW, outH = 1280, 720

// layoutServer serves the embedded layout pages, and /plain.html, a page without room.js.
func layoutServer(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/", http.FileServerFS(layouts.FS))
	mux.HandleFunc("/plain.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(`<!doctype html><title>plain</title><body>no room here</body>`))
	})
	mux.HandleFunc("/twice.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(twicePage))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// layout lays scenes out with the page at path of a fresh layout server.
func layout(t *testing.T, path string, scenes ...Scene) []Frame {
	t.Helper()
	srv := layoutServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	frames, err := LayoutFrames(ctx, pageOptions(t, srv.URL+path), scenes)
	if err != nil {
		t.Fatal(err)
	}
	if len(frames) != len(scenes) {
		t.Fatalf("%d frames for %d scenes", len(frames), len(scenes))
	}
	return frames
}

func pageOptions(t *testing.T, url string) PageOptions {
	return PageOptions{URL: url, Width: outW, Height: outH, Dir: t.TempDir(), Log: zerolog.Nop()}
}

func camera(id string, w, h int) Participant {
	return Participant{StreamID: id, Name: strings.ToUpper(id[:1]) + id[1:], Video: "H264", Audio: "opus", Width: w, Height: h}
}

func decode(t *testing.T, f Frame) image.Image {
	t.Helper()
	data, err := os.ReadFile(f.Image)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if s := img.Bounds().Size(); s.X != outW || s.Y != outH {
		t.Fatalf("screenshot %dx%d, want %dx%d", s.X, s.Y, outW, outH)
	}
	return img
}

// isKey says whether the pixel at x, y is the key colour, give or take a colour conversion.
func isKey(img image.Image, x, y float64) bool {
	r, g, b, _ := img.At(int(x), int(y)).RGBA()
	near := func(v uint32, want int) bool { return math.Abs(float64(v>>8)-float64(want)) <= 12 }
	return near(r, 0xff) && near(g, 0) && near(b, 0xff)
}

func near(a, b float64) bool { return math.Abs(a-b) < 0.51 }

// area is a box's picture and clip as numbers to compare.
type area struct{ x, y, w, h float64 }

func (r area) equal(o area) bool {
	return near(r.x, o.x) && near(r.y, o.y) && near(r.w, o.w) && near(r.h, o.h)
}

func picture(b Box) area { return area{b.X, b.Y, b.W, b.H} }
func clip(b Box) area    { return area{b.ClipX, b.ClipY, b.ClipW, b.ClipH} }

// contain is where a w x h picture is drawn in cell c with object-fit: contain.
func contain(c area, w, h float64) area {
	s := math.Min(c.w/w, c.h/h)
	return area{c.x + (c.w-w*s)/2, c.y + (c.h-h*s)/2, w * s, h * s}
}

func TestGridPlacesEachPictureInItsCell(t *testing.T) {
	sizes := [][2]int{{640, 360}, {360, 640}, {1280, 720}, {480, 480}}
	var parts []Participant
	for i, s := range sizes {
		parts = append(parts, camera(string(rune('a'+i))+"lice", s[0], s[1]))
	}
	f := layout(t, "/multitrack-play.html?id=r", Scene{FromMs: 0, ToMs: 1000, Participants: parts})[0]
	if len(f.Boxes) != 4 {
		t.Fatalf("%d boxes, want 4: %+v", len(f.Boxes), f.Boxes)
	}
	img := decode(t, f)
	for i, b := range f.Boxes {
		cell := area{float64(i%2) * 640, float64(i/2) * 360, 640, 360}
		want := contain(cell, float64(sizes[i][0]), float64(sizes[i][1]))
		if b.StreamID != parts[i].StreamID || !picture(b).equal(want) || !clip(b).equal(want) {
			t.Errorf("box %d = %+v; want %s at %+v (contain of %dx%d in its cell)", i, b, parts[i].StreamID, want, sizes[i][0], sizes[i][1])
		}
		if !isKey(img, b.X+b.W/2, b.Y+b.H/2) {
			t.Errorf("%s: no key colour at the centre of its box", b.StreamID)
		}
		// The name label sits at the cell's bottom left, 1% and 2% in, over the picture.
		lx, ly := cell.x+0.01*cell.w+4, cell.y+0.98*cell.h-4
		if isKey(img, lx, ly) {
			t.Errorf("%s: key colour where its name label is (%.0f,%.0f)", b.StreamID, lx, ly)
		}
		if inside := lx >= b.ClipX && lx < b.ClipX+b.ClipW && ly >= b.ClipY && ly < b.ClipY+b.ClipH; i != 1 && i != 3 && !inside {
			t.Errorf("%s: its name label (%.0f,%.0f) is not over its picture %+v", b.StreamID, lx, ly, clip(b))
		}
	}
}

func TestSpeakerLayoutShowsTheSceneSpeakerLarge(t *testing.T) {
	parts := []Participant{camera("alice", 640, 360), camera("bob", 640, 360), camera("carol", 1280, 720), camera("dave", 640, 360)}
	frames := layout(t, "/multitrack-play.html?id=r&layout=speaker",
		Scene{FromMs: 0, ToMs: 1000, Participants: parts, Speaker: "alice"},
		Scene{FromMs: 1000, ToMs: 2000, Participants: parts, Speaker: "carol"})
	top := area{0, 0, outW, 0.78 * outH}
	for i, speaker := range []string{"alice", "carol"} {
		f := frames[i]
		if len(f.Boxes) != 4 {
			t.Fatalf("scene %d: %d boxes, want 4", i, len(f.Boxes))
		}
		for _, b := range f.Boxes {
			large := clip(b).equal(contain(top, float64(map[bool]int{true: 1280, false: 640}[b.StreamID == "carol"]),
				float64(map[bool]int{true: 720, false: 360}[b.StreamID == "carol"])))
			if large != (b.StreamID == speaker) {
				t.Errorf("scene %d (speaker %s): box of %s %+v; large at the top: %v", i, speaker, b.StreamID, clip(b), large)
			}
			if b.StreamID != speaker && (!near(b.ClipY, top.h) || !near(b.ClipY+b.ClipH, outH) || b.H <= b.ClipH) {
				t.Errorf("scene %d: %s %+v should be a cropped (cover) thumbnail below the speaker", i, b.StreamID, b)
			}
		}
		if !isKey(decode(t, f), outW/2, top.h/2) {
			t.Errorf("scene %d: no key colour at the centre of the speaker's picture", i)
		}
	}
}

func TestScreenShareFillsTheFrameUnderItsPresenter(t *testing.T) {
	screen := Participant{StreamID: "alice_presentation", Name: "Alice (screen)", Video: "VP8", ScreenShare: true,
		Presenter: "alice", Width: 1920, Height: 1080}
	// The presenter's camera comes first in the page: only the stacking puts it on top.
	parts := []Participant{camera("alice", 640, 360), camera("bob", 640, 360), screen}
	f := layout(t, "/multitrack-play.html?id=r", Scene{FromMs: 0, ToMs: 1000, Participants: parts})[0]
	if len(f.Boxes) != 2 || f.Boxes[0].StreamID != screen.StreamID || f.Boxes[1].StreamID != "alice" {
		t.Fatalf("boxes %+v; want the screen, then its presenter's thumbnail over it", f.Boxes)
	}
	if full := (area{0, 0, outW, outH}); !picture(f.Boxes[0]).equal(full) || !clip(f.Boxes[0]).equal(full) {
		t.Errorf("screen box %+v; want the whole frame", f.Boxes[0])
	}
	thumb := clip(f.Boxes[1])
	if thumb.x < outW/2 || thumb.y < outH/2 || thumb.w > outW/4 {
		t.Errorf("presenter box %+v; want a thumbnail in the bottom right corner", thumb)
	}
}

func TestAudioOnlyParticipantHasNoBox(t *testing.T) {
	voice := Participant{StreamID: "bob", Name: "Bob", Audio: "opus"}
	frames := layout(t, "/multitrack-play.html?id=r",
		Scene{FromMs: 0, ToMs: 1000, Participants: []Participant{camera("alice", 640, 360), voice}, Speaker: "bob"},
		Scene{FromMs: 1000, ToMs: 2000, Participants: []Participant{voice}, Speaker: "bob"})
	f := frames[0]
	if len(f.Boxes) != 1 || f.Boxes[0].StreamID != "alice" {
		t.Fatalf("boxes %+v; want alice's only", f.Boxes)
	}
	if want := contain(area{0, 0, 640, 720}, 640, 360); !clip(f.Boxes[0]).equal(want) {
		t.Errorf("alice's box %+v, want %+v (the left half of a two-tile grid)", f.Boxes[0], want)
	}
	if len(frames[1].Boxes) != 0 {
		t.Errorf("after alice left: boxes %+v, want none", frames[1].Boxes)
	}
	if img := decode(t, frames[1]); isKey(img, 320, 360) {
		t.Errorf("after alice left, her picture is still drawn")
	}
}

func TestPageWithoutRoomJSFailsAndLeavesNothing(t *testing.T) {
	srv := layoutServer(t)
	o := pageOptions(t, srv.URL+"/plain.html")
	// Short: Chromium's singleton socket path must fit in 108 bytes.
	tmp, err := os.MkdirTemp("/tmp", "rx")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	t.Setenv("TMPDIR", tmp)
	old := attachTimeout
	attachTimeout = 2 * time.Second
	defer func() { attachTimeout = old }()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	frames, err := LayoutFrames(ctx, o, []Scene{{Participants: []Participant{camera("alice", 640, 360)}}})
	if !errors.Is(err, ErrNotRemixable) || frames != nil {
		t.Fatalf("LayoutFrames = %v, %v; want ErrNotRemixable", frames, err)
	}
	if !strings.Contains(err.Error(), "room.js") || !strings.Contains(err.Error(), "cannot drive it") {
		t.Errorf("error %q does not say the page lacks room.js", err)
	}
	left, _ := os.ReadDir(tmp)
	pngs, _ := os.ReadDir(o.Dir)
	if len(left) != 0 || len(pngs) != 0 {
		t.Errorf("left behind: %v in TMPDIR, %v in the frames' directory", left, pngs)
	}
	for _, pid := range procstat.Descendants(os.Getpid()) {
		if strings.Contains(procstat.Cmdline(pid), tmp) {
			t.Errorf("chromium process %d still running: %s", pid, procstat.Cmdline(pid))
		}
	}
}

func TestBadOptionsAreRefusedBeforeLaunching(t *testing.T) {
	good := PageOptions{URL: "http://127.0.0.1:1/x.html", Width: outW, Height: outH, Dir: t.TempDir()}
	scene := []Scene{{Participants: []Participant{camera("alice", 640, 360)}}}
	cases := map[string]struct {
		edit   func(*PageOptions, *[]Scene)
		reason string
	}{
		"file URL":  {func(o *PageOptions, _ *[]Scene) { o.URL = "file:///etc/passwd" }, "not an http(s) URL"},
		"size":      {func(o *PageOptions, _ *[]Scene) { o.Width = 10 }, "layout size"},
		"no dir":    {func(o *PageOptions, _ *[]Scene) { o.Dir = "" }, "directory"},
		"proxy":     {func(o *PageOptions, _ *[]Scene) { o.Proxy = "no port" }, "proxy"},
		"no scenes": {func(_ *PageOptions, s *[]Scene) { *s = nil }, "no scenes"},
		"twice": {func(_ *PageOptions, s *[]Scene) {
			(*s)[0].Participants = append((*s)[0].Participants, camera("alice", 1, 1))
		}, "twice"},
		"absent talker": {func(_ *PageOptions, s *[]Scene) { (*s)[0].Speaker = "zed" }, "speaker"},
	}
	for name, c := range cases {
		o := good
		s := []Scene{{Participants: append([]Participant(nil), scene[0].Participants...)}}
		c.edit(&o, &s)
		_, err := LayoutFrames(context.Background(), o, s)
		if err == nil || !strings.Contains(err.Error(), c.reason) {
			t.Errorf("%s: err = %v; want one naming %q", name, err, c.reason)
		}
	}
}

// twicePage shows each participant twice: cropped (cover) in a box that clips it, and as a
// copy of its track stretched (fill) below.
const twicePage = `<!doctype html><body style="margin:0">
<div style="position:absolute; left:100px; top:100px; width:200px; height:100px; overflow:hidden">
  <video id="a" style="width:400px; height:300px; object-fit:cover" muted autoplay></video></div>
<video id="b" style="position:absolute; left:0; top:400px; width:320px; height:100px; object-fit:fill" muted autoplay></video>
<script type="module">
import { Room } from "./room.js";
console.error("twice.html has something to say");
new Room("r", { hooks: { media(p, s) {
  a.srcObject = s;
  b.srcObject = new MediaStream(s.getVideoTracks());
} } }).start();
</script>`

// lockedBuffer collects a log written from several goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestParticipantShownTwiceHasTwoClippedBoxes(t *testing.T) {
	srv := layoutServer(t)
	var log lockedBuffer
	o := pageOptions(t, srv.URL+"/twice.html")
	o.Log = zerolog.New(&log)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	frames, err := LayoutFrames(ctx, o, []Scene{{Participants: []Participant{camera("alice", 640, 360)}}})
	if err != nil {
		t.Fatal(err)
	}
	f := frames[0]
	if len(f.Boxes) != 2 || f.Boxes[0].StreamID != "alice" || f.Boxes[1].StreamID != "alice" {
		t.Fatalf("boxes %+v; want alice twice", f.Boxes)
	}
	covered := area{100 + (400-1600.0/3)/2, 100, 1600.0 / 3, 300}
	if !picture(f.Boxes[0]).equal(covered) || !clip(f.Boxes[0]).equal(area{100, 100, 200, 100}) {
		t.Errorf("cropped box %+v; want picture %+v clipped to its container 100,100 200x100", f.Boxes[0], covered)
	}
	if stretched := (area{0, 400, 320, 100}); !picture(f.Boxes[1]).equal(stretched) || !clip(f.Boxes[1]).equal(stretched) {
		t.Errorf("stretched box %+v; want %+v", f.Boxes[1], stretched)
	}
	img := decode(t, f)
	if !isKey(img, 200, 150) || !isKey(img, 160, 450) || isKey(img, 200, 250) {
		t.Errorf("key colour not where the boxes say")
	}
	if !strings.Contains(log.String(), "twice.html has something to say") {
		t.Errorf("the page's console error is not in the log:\n%s", log.String())
	}
}
