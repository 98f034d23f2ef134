package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"mediapush/controller"
	"mediapush/internal/mediacheck"
)

// withoutRestarts runs the node as --max-restarts 0 does: a crash fails its session.
func withoutRestarts(cfg *controller.Config) { cfg.Limits.MaxRestarts = -1 }

// partsOf is what a broadcast tells of a session that went on after a crash.
type partsOf struct {
	State  string `json:"state"`
	Reason string `json:"reason"`
	Parts  int    `json:"parts"`
	Gaps   int    `json:"gaps"`
}

func (s *service) parts(streamID string) partsOf {
	s.t.Helper()
	var p partsOf
	s.getJSON("/live/rest/v2/broadcasts/"+streamID, &p)
	return p
}

// TestRendererCrashContinuesTheRecording kills the page's renderer in the middle of a
// recording: the session is started again in a fresh tab and stays ACTIVE, and at stop the one
// recording listed holds both parts, the gap marked by a chapter.
func TestRendererCrashContinuesTheRecording(t *testing.T) {
	testCrashContinues(t, false, 5*time.Second, func(t *testing.T, s *service, id string) {
		if n := killRenderersHolding(s.data, ballastMiB); n != 1 {
			t.Fatalf("killed %d renderers holding %d MiB, want the page's alone", n, ballastMiB)
		}
	})
}

// ballastMiB is the memory the recorded page holds, by which the test finds its renderer.
const ballastMiB = 300

// avSyncWithBallast serves the node's A/V sync page (a flash and a beep each second) with
// ballast MiB of memory held, so that a test can tell its renderer from the others.
func avSyncWithBallast(t *testing.T, s *service) string {
	t.Helper()
	resp, page := s.do(http.MethodGet, "/live/av-sync.html", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("av-sync.html: HTTP %d", resp.StatusCode)
	}
	// Taken once the page has loaded, so that it does not slow the page's start.
	ballast := fmt.Sprintf("<script>addEventListener('load', () => setTimeout(() => { window.ballast = new Uint8Array(%d * 1048576).fill(1); }));</script>", ballastMiB)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write(bytes.Replace(page, []byte("<body>"), []byte("<body>"+ballast), 1)) //nolint:errcheck // the test reads what the page shows
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/av-sync.html"
}

// TestBrowserCrashContinuesTheRecording kills the whole Chromium of a session that has one of
// its own: the session goes on in a fresh browser.
func TestBrowserCrashContinuesTheRecording(t *testing.T) {
	testCrashContinues(t, true, 10*time.Second, func(t *testing.T, s *service, id string) {
		if err := syscall.Kill(s.browserPID(t, id), syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
	})
}

// testCrashContinues records the A/V sync page, crashes its session's Chromium with crash, and
// checks that the session went on and left one recording of both parts. A browser of its own
// (ownBrowser) is launched again, so its gap is longer than a tab's: maxGap; that session also
// records live HLS, which runs on through the gap.
func testCrashContinues(t *testing.T, ownBrowser bool, maxGap time.Duration, crash func(*testing.T, *service, string)) {
	h := newHookReceiver(t)
	s := startService(t, h.configure)
	const id = "resumed"
	body := map[string]any{"url": avSyncWithBallast(t, s), "width": 640, "height": 360, "recordType": "mp4"}
	if ownBrowser {
		body["ownBrowser"], body["recordType"] = true, "mp4,hls"
	}
	r := s.start(id, body)
	started := time.Now() // start answers once the first frame is in: recording from there
	if !r.Success {
		t.Fatalf("start: %s", r.msg())
	}
	firstBrowser := s.browserPID(t, id)
	time.Sleep(6 * time.Second)

	crashAt := time.Now()
	crash(t, s, id)
	var after partsOf
	waitFor(t, "the session running as part 2", 30*time.Second, func() bool {
		after = s.parts(id)
		return after.Parts == 2
	})
	backAt := time.Now()
	if after.State != "ACTIVE" || after.Gaps != 1 || !strings.Contains(after.Reason, "chromium crashed") ||
		!strings.Contains(after.Reason, "continuing as part 2") {
		t.Errorf("after the crash the broadcast shows %+v; want ACTIVE, parts 2, gaps 1, the crash and the part named", after)
	}
	t.Logf("crash → part 2 in the broadcast: %s (%s)", backAt.Sub(crashAt).Round(time.Millisecond), after.Reason)
	if ownBrowser {
		if pid := s.browserPID(t, id); pid == firstBrowser || pid == 0 {
			t.Errorf("part 2 runs in browser %d, the killed one was %d: want a fresh one", pid, firstBrowser)
		}
	}
	time.Sleep(6 * time.Second)
	stopAt := time.Now()
	if r := s.stop(id); !r.Success {
		t.Fatalf("stop: %s", r.msg())
	}
	wall := stopAt.Sub(started)

	// One recording of each format, listed once and announced once.
	var mine, hls []storedVoD
	var all []storedVoD
	s.getJSON("/live/rest/v2/vods/list/0/50", &all)
	for _, v := range all {
		switch {
		case v.StreamID != id:
		case v.Format == "hls":
			hls = append(hls, v)
		default:
			mine = append(mine, v)
		}
	}
	if len(mine) != 1 || mine[0].Format != "mp4" || mine[0].Merged || mine[0].Partial {
		t.Fatalf("VoDs of the session: %+v; want one whole mp4", mine)
	}
	if wantHLS := body["recordType"] == "mp4,hls"; wantHLS != (len(hls) == 1) || len(hls) > 1 {
		t.Fatalf("HLS VoDs of the session: %+v; want one when recorded (%v)", hls, wantHLS)
	}
	v := mine[0]
	var info struct {
		Gaps []struct{ At, Duration int64 } `json:"gaps"`
	}
	if err := json.Unmarshal([]byte(v.Info), &info); err != nil || len(info.Gaps) != 1 {
		t.Fatalf("the VoD's info %q: want one gap (%v)", v.Info, err)
	}
	gap := time.Duration(info.Gaps[0].Duration) * time.Millisecond
	gapAt := time.Duration(info.Gaps[0].At) * time.Millisecond
	t.Logf("gap in the recording: %s at %s (crash → part 2 seen by the test: %s)", gap, gapAt, backAt.Sub(crashAt).Round(time.Millisecond))
	// The gap is the media missing: from the last sample before the crash to the first of the
	// fresh tab, within what the test saw from the kill to the restart's announcement.
	if gap <= 0 || gap > maxGap || gap > backAt.Sub(crashAt)+500*time.Millisecond {
		t.Errorf("gap of %s; want some, at most %s and at most the %s from the kill to part 2", gap, maxGap, backAt.Sub(crashAt).Round(time.Millisecond))
	}
	waitFor(t, "the final webhooks", 30*time.Second, func() bool {
		states := h.states(t, id)
		return len(states) > 0 && states[len(states)-1] == "COMPLETE" && len(h.announced(t)) > 0
	})
	if states := h.states(t, id); !slices.Equal(states, []string{"STARTING", "ACTIVE", "ACTIVE", "ENDING", "COMPLETE"}) {
		t.Errorf("Session.State webhooks: %v; want the restart as a second ACTIVE", states)
	}
	waitFor(t, "every recording announced", 30*time.Second, func() bool { return len(h.announced(t)) >= 1+len(hls) })
	got := h.announced(t)
	if len(got) != 1+len(hls) || len(got[v.VodName]) != 1 {
		t.Errorf("Recordings.Available for %v; want one for %s (and its HLS recording, if any)", keys(got), v.VodName)
	}
	for _, l := range hls {
		if len(got[l.VodName]) != 1 {
			t.Errorf("Recordings.Available for %v; want one for %s", keys(got), l.VodName)
		}
	}
	h.checkDeliveries(t)

	// The file plays, lasts the time recorded less the gap, and marks the gap with a chapter.
	path := s.download(v.vod)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := mediacheck.Decodes(ctx, path); err != nil {
		t.Errorf("the recording does not decode cleanly: %v", err)
	}
	probe, err := mediacheck.Probe(ctx, path)
	if err != nil || probe.Video == nil || probe.Audio == nil {
		t.Fatalf("probe: %+v %v", probe, err)
	}
	if want := wall - gap; !closeTo(probe.Duration, want, time.Second) {
		t.Errorf("the recording lasts %s; recorded for %s less a %s gap: %s", probe.Duration, wall.Round(time.Millisecond), gap, want.Round(time.Millisecond))
	}
	t.Logf("%s: %s, %.2f fps, recorded for %s with a %s gap", v.VodName, probe.Duration, probe.Video.FPS, wall.Round(time.Millisecond), gap)
	cs := chapters(t, path)
	if len(cs) != 2 {
		t.Fatalf("%d chapters, want 2: %+v", len(cs), cs)
	}
	for i, c := range cs {
		t.Logf("chapter %d: %s–%s %q", i+1, c.Start.Round(time.Millisecond), c.End.Round(time.Millisecond), c.Title)
	}
	m := pauseIn.FindStringSubmatch(cs[1].Title)
	if !strings.Contains(cs[0].Title, "Part 1") || m == nil || !strings.Contains(cs[1].Title, "Part 2") || !strings.Contains(cs[1].Title, "crashed") {
		t.Errorf("chapters titled %q, %q: want Part 1, then Part 2 after the pause the crash made", cs[0].Title, cs[1].Title)
	} else if said, _ := strconv.ParseFloat(m[1], 64); !closeTo(time.Duration(said*float64(time.Second)), gap, 100*time.Millisecond) {
		t.Errorf("chapter 2 says a %s s pause, the VoD a %s gap", m[1], gap)
	}
	if !closeTo(cs[1].Start, gapAt, 100*time.Millisecond) {
		t.Errorf("chapter 2 starts at %s, the gap is at %s", cs[1].Start, gapAt)
	}

	// Picture and sound are in step in each part.
	for i, c := range cs {
		part := cut(t, path, c.Start, c.End, fmt.Sprintf("part%d.mp4", i+1))
		offsets, err := mediacheck.AVOffsets(ctx, part)
		if err != nil {
			t.Errorf("part %d: %v", i+1, err)
			continue
		}
		if med := mediacheck.MedianAbs(offsets); med > 50*time.Millisecond {
			t.Errorf("part %d: A/V offsets %v, median |offset| %s; want in step", i+1, offsets, med)
		} else {
			t.Logf("part %d: A/V median |offset| %s over %d flashes", i+1, med, len(offsets))
		}
	}
	// The live HLS recording ran on through the gap: it plays, the gap included.
	for _, l := range hls {
		file := filepath.Join(s.data, l.FilePath)
		if err := mediacheck.Decodes(ctx, file); err != nil {
			t.Errorf("the HLS recording does not play: %v", err)
		}
		info, err := mediacheck.Probe(ctx, file)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %s (recorded for %s, %s of it a gap)", l.VodName, info.Duration, wall.Round(time.Millisecond), gap)
		if info.Duration < probe.Duration-2*time.Second {
			t.Errorf("the HLS recording lasts %s, the MP4 %s: want at least the MP4's media, less a segment", info.Duration, probe.Duration)
		}
	}
	if b := s.parts(id); b.State != "COMPLETE" || b.Parts != 2 || b.Gaps != 1 {
		t.Errorf("the broadcast at the end: %+v; want COMPLETE, parts 2, gaps 1", b)
	}
}

// cut copies the stretch [from, to) of a file into a file of its own.
func cut(t *testing.T, path string, from, to time.Duration, name string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), name)
	cmd := exec.Command(mediacheck.FFmpeg, "-v", "error", "-ss", secs(from), "-to", secs(to), "-i", path, "-c", "copy", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cutting %s–%s: %v: %s", from, to, err, b)
	}
	return out
}

func secs(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 3, 64) }

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestStopWhileTheSessionStartsAgain stops a session right after its renderer crashed, while
// it is being started again: the stop ends it COMPLETE with what was recorded, and no second
// part is started after it.
func TestStopWhileTheSessionStartsAgain(t *testing.T) {
	s := startService(t)
	pages := newVisitorPages(t)
	v := visitor{"eve", "red", 500, ballastMiB}
	s.startVisitor(t, pages, v)
	started := time.Now()
	time.Sleep(4 * time.Second)
	if n := killRenderersHolding(s.data, v.ballast); n != 1 {
		t.Fatalf("killed %d renderers holding %d MiB, want the page's alone", n, v.ballast)
	}
	crashAt := time.Now()
	time.Sleep(300 * time.Millisecond) // the crash is noticed at once; starting again takes seconds
	r := s.stop(v.id)
	if !r.Success {
		t.Fatalf("stop while starting again: %s", r.msg())
	}
	b := s.parts(v.id)
	if b.State != "COMPLETE" || b.Parts != 0 {
		t.Errorf("after the stop: %+v; want COMPLETE, no second part", b)
	}
	got := s.vodOf(v.id)
	if got.Partial || got.Format != "mp4" {
		t.Errorf("the recording: %+v; want a whole mp4", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	path := s.download(got)
	info, err := mediacheck.Probe(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if recorded := crashAt.Sub(started); !closeTo(info.Duration, recorded, time.Second) {
		t.Errorf("the recording lasts %s; the page was recorded for %s before it crashed", info.Duration, recorded.Round(time.Millisecond))
	}
	checkVisitorRecording(t, s, v, 1300)
	// Nothing of the session runs on: the harness checks no Chromium is left at the end.
	if p, err := s.ctl.Progress(v.id); err == nil {
		t.Errorf("the session runs on after the stop: %+v", p)
	}
}

// TestSessionThatCannotComeBackFails crashes a session whose page is gone when it is started
// again: out of restarts, it ends FAILED, naming the crash and why it could not come back, and
// keeps what it recorded.
func TestSessionThatCannotComeBackFails(t *testing.T) {
	s := startService(t, func(cfg *controller.Config) { cfg.Limits.MaxRestarts = 2 })
	pages := newVisitorPages(t)
	v := visitor{"fay", "blue", 700, ballastMiB}
	var visits atomic.Int32
	gone := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r) // the favicon
			return
		}
		if visits.Add(1) > 1 {
			http.Error(w, "gone", http.StatusNotFound)
			return
		}
		http.Redirect(w, r, pages.page(v.id, v.colour, v.hz, v.ballast), http.StatusFound)
	}))
	t.Cleanup(gone.Close)
	if r := s.start(v.id, map[string]any{"url": gone.URL, "width": 640, "height": 360, "recordType": "mp4"}); !r.Success {
		t.Fatalf("start: %s", r.msg())
	}
	started := time.Now()
	time.Sleep(4 * time.Second)
	if n := killRenderersHolding(s.data, v.ballast); n != 1 {
		t.Fatalf("killed %d renderers holding %d MiB, want the page's alone", n, v.ballast)
	}
	recorded := time.Since(started)
	b := s.waitState(v.id, "FAILED", 30*time.Second)
	t.Logf("reason: %s", b.Reason)
	if !strings.Contains(b.Reason, "renderer process died") || !strings.Contains(b.Reason, "could not start again (2 tries)") ||
		!strings.Contains(b.Reason, "HTTP 404") {
		t.Errorf("reason %q; want the crash, the 2 tries and the page's 404 named", b.Reason)
	}
	if n := visits.Load(); n != 3 {
		t.Errorf("the page was asked for %d times; want the start and 2 tries", n)
	}
	checkPartial(t, s, v.id, recorded)
	checkVisitorRecording(t, s, v, 1300)
}
