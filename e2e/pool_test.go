package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"mediapush/browser"
	"mediapush/controller"
	"mediapush/internal/mediacheck"
	"mediapush/internal/procstat"
)

// withPool runs the node's sessions in a pool of browsers of these settings.
func withPool(set browser.PoolSettings) func(*controller.Config) {
	return func(cfg *controller.Config) { cfg.Browsers = set }
}

// visitorPages serves /?who=…&colour=…&freq=…[&ballast=MiB]: a page filled with colour that
// plays a tone of freq Hz, and holds ballast MiB of memory (so that a test can tell its
// renderer process from others). Each visit gets a cookie naming who and stores who in localStorage; the pages tell
// (at /seen) what a visitor before them left in their browser, which is nothing when their
// sessions are kept apart.
type visitorPages struct {
	*httptest.Server
	mu   sync.Mutex
	seen map[string]string // who → the cookie it came with and the localStorage it found
}

func newVisitorPages(t *testing.T) *visitorPages {
	v := &visitorPages{seen: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		who := q.Get("who")
		ballast, _ := strconv.Atoi(q.Get("ballast"))
		cookie := ""
		if c, err := r.Cookie("who"); err == nil {
			cookie = c.Value
		}
		v.note(who, "cookie="+cookie)
		http.SetCookie(w, &http.Cookie{Name: "who", Value: who})
		fmt.Fprintf(w, `<!doctype html><title>%[1]s</title><body style="margin:0;background:%[2]s"><script>
const before = localStorage.getItem('who') || '';
localStorage.setItem('who', %[1]q);
fetch('/seen?who=%[1]s&storage=' + encodeURIComponent(before));
const audio = new AudioContext(), osc = audio.createOscillator(), gain = audio.createGain();
osc.frequency.value = %[3]s; gain.gain.value = 0.3;
osc.connect(gain).connect(audio.destination); osc.start();
window.ballast = new Uint8Array(%[4]d * 1048576).fill(1);
</script>`, who, q.Get("colour"), q.Get("freq"), ballast)
	})
	mux.HandleFunc("/seen", func(w http.ResponseWriter, r *http.Request) {
		v.note(r.URL.Query().Get("who"), "storage="+r.URL.Query().Get("storage"))
	})
	v.Server = httptest.NewServer(mux)
	t.Cleanup(v.Close)
	return v
}

func (v *visitorPages) note(who, what string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.seen[who] += what + ";"
}

func (v *visitorPages) seenBy(who string) string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.seen[who]
}

func (v *visitorPages) page(who, colour string, hz, ballast int) string {
	return fmt.Sprintf("%s/?who=%s&colour=%s&freq=%d&ballast=%d", v.URL, who, colour, hz, ballast)
}

// visitor is one session of the pool tests: its page's colour and tone, and the MiB of memory
// it holds.
type visitor struct {
	id, colour string
	hz         int
	ballast    int
}

func (s *service) startVisitor(t *testing.T, pages *visitorPages, v visitor) {
	t.Helper()
	r := s.start(v.id, map[string]any{"url": pages.page(v.id, v.colour, v.hz, v.ballast), "width": 640, "height": 360, "recordType": "mp4"})
	if !r.Success {
		t.Fatalf("start %s: %s", v.id, r.msg())
	}
}

// checkVisitorRecording asserts that v's recording shows its colour and holds its own tone,
// and none of the other's.
func checkVisitorRecording(t *testing.T, s *service, v visitor, otherHz int) {
	t.Helper()
	path := s.download(s.vodOf(v.id))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	own, err := mediacheck.ToneLevel(ctx, path, float64(v.hz), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	other, err := mediacheck.ToneLevel(ctx, path, float64(otherHz), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if own < -30 || other > own-40 {
		t.Errorf("%s: its own tone (%d Hz) at %.1f dB, the other session's (%d Hz) at %.1f dB; want its own alone", v.id, v.hz, own, otherHz, other)
	}
	colours, err := mediacheck.FrameColors(ctx, path, time.Second, []mediacheck.Point{{X: 0.5, Y: 0.5}})
	if err != nil {
		t.Fatal(err)
	}
	if got := mediacheck.ColorName(colours[0]); got != v.colour {
		t.Errorf("%s shows %s (%v), want %s", v.id, got, colours[0], v.colour)
	}
}

func (s *service) browserPID(t *testing.T, id string) int {
	t.Helper()
	p, err := s.ctl.Progress(id)
	if err != nil {
		t.Fatal(err)
	}
	return p.BrowserPID
}

func TestPoolSessionsShareABrowserYetNothingElse(t *testing.T) {
	s := startService(t, withPool(browser.PoolSettings{Warm: 1, TabsPerBrowser: 3, SessionsPerBrowser: 20}))
	pages := newVisitorPages(t)
	ann, ben := visitor{"ann", "red", 500, 0}, visitor{"ben", "blue", 1300, 0}
	s.startVisitor(t, pages, ann)
	s.startVisitor(t, pages, ben)
	if a, b := s.browserPID(t, ann.id), s.browserPID(t, ben.id); a == 0 || a != b {
		t.Errorf("browser pids %d and %d: want the two sessions in one browser", a, b)
	}
	time.Sleep(4 * time.Second)
	for _, v := range []visitor{ann, ben} {
		if r := s.stop(v.id); !r.Success {
			t.Fatalf("stop %s: %s", v.id, r.msg())
		}
	}
	checkVisitorRecording(t, s, ann, ben.hz)
	checkVisitorRecording(t, s, ben, ann.hz)
	if got := pages.seenBy(ben.id); got != "cookie=;storage=;" {
		t.Errorf("the second session's page found %q; want no cookie and no localStorage of the first", got)
	}
}

// killRenderersHolding kills the renderer processes of the node's browsers that hold at least
// mib MiB of memory: the renderer of a page with that much ballast.
func killRenderersHolding(data string, mib int) (killed int) {
	for _, pid := range procstat.Matching(data + "/tmp/") {
		if !strings.Contains(procstat.Cmdline(pid), "--type=renderer") {
			continue
		}
		if procstat.Take(pid).PSSKiB >= int64(mib)*1024 {
			syscall.Kill(pid, syscall.SIGKILL) //nolint:errcheck // gone already is fine
			killed++
		}
	}
	return killed
}

func TestPoolCrashesEndOnlyTheirSessions(t *testing.T) {
	s := startService(t, withPool(browser.PoolSettings{Warm: 1, TabsPerBrowser: 3, SessionsPerBrowser: 20}), withoutRestarts)
	pages := newVisitorPages(t)
	ann, ben := visitor{"ann", "red", 500, 0}, visitor{"ben", "blue", 1300, 400}
	s.startVisitor(t, pages, ann)
	s.startVisitor(t, pages, ben)
	if a, b := s.browserPID(t, ann.id), s.browserPID(t, ben.id); a != b {
		t.Fatalf("browser pids %d and %d: want the two sessions in one browser", a, b)
	}
	// Ben's renderer is the one that holds Ben's ballast.
	if killed := killRenderersHolding(s.data, ben.ballast); killed != 1 {
		t.Fatalf("killed %d renderers holding %d MiB, want Ben's alone", killed, ben.ballast)
	}
	if b := s.waitState(ben.id, "FAILED", 20*time.Second); !strings.Contains(b.Reason, "renderer") {
		t.Errorf("the crashed session failed with %q; want the renderer named", b.Reason)
	}
	if b := s.broadcast(ann.id); b.State != "ACTIVE" {
		t.Errorf("the other session of the browser is %s (%s) after the crash; want it ACTIVE", b.State, b.Reason)
	}
	// The browser takes sessions still.
	cid := visitor{"cid", "lime", 900, 0}
	s.startVisitor(t, pages, cid)
	shared := s.browserPID(t, ann.id)
	if got := s.browserPID(t, cid.id); got != shared {
		t.Errorf("after a tab crash the next session runs in browser %d, want the shared one %d", got, shared)
	}
	time.Sleep(2 * time.Second)
	if r := s.stop(ann.id); !r.Success {
		t.Fatalf("stop %s: %s", ann.id, r.msg())
	}
	checkVisitorRecording(t, s, ann, ben.hz)

	// The browser process itself dies: its sessions fail, and a fresh browser replaces it.
	if err := syscall.Kill(shared, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if b := s.waitState(cid.id, "FAILED", 20*time.Second); !strings.Contains(b.Reason, "browser process") {
		t.Errorf("a session of the killed browser failed with %q; want the browser named", b.Reason)
	}
	dan := visitor{"dan", "yellow", 700, 0}
	s.startVisitor(t, pages, dan)
	if got := s.browserPID(t, dan.id); got == shared || got == 0 {
		t.Errorf("after the browser was killed the next session runs in browser %d; want a fresh one", got)
	}
	if r := s.stop(dan.id); !r.Success {
		t.Fatalf("stop %s: %s", dan.id, r.msg())
	}
}
