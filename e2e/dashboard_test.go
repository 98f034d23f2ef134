package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"mediapush/controller"
)

// The dashboard at / as an operator uses it, in a real Chromium: start a session of the test
// pattern, watch it live, stop it, find its recording, play it, delete it; rooms and the node
// are looked at. Each view is photographed at a phone's and a desktop's width and checked in
// the page: no text overlaps other text or a control, nothing reaches past the viewport.
//
// The screenshots go to $MEDIAPUSH_SCREENSHOTS when set (to be looked at), else a temp dir.
func TestDashboard(t *testing.T) {
	s := startService(t)
	// A participant whose name looks like markup: the page must show it as text.
	s.join(t, "lobby", member{"ada", `<b>Ada</b> & "Co"`, "teal", 440}, nil)
	d := openDashboard(t, s)

	d.viewport(1440, 900)
	d.open("#sessions")
	d.run(chromedp.SetValue(chromedp.CSS("#start-id"), "dash1"),
		chromedp.SetValue(chromedp.CSS("#start-size"), "640x360"),
		chromedp.Click(chromedp.CSS("#start-button")))
	d.waitJS(`document.querySelector('#sessions [data-key="dash1"] .badge:not(.warn)')?.textContent === "ACTIVE"`,
		"the session dash1 shown ACTIVE", time.Minute)
	if got := d.text(`#start-status`); got != "Started dash1." {
		t.Errorf("start status = %q, want Started dash1.", got)
	}

	// The live preview plays the session over WHEP and its picture moves.
	d.run(chromedp.Click(chromedp.CSS(`#sessions [data-key="dash1"] .actions button`)))
	d.waitJS(`(() => { const v = document.querySelector('#sessions [data-key="dash1"] video.live');
		return !!v && v.videoWidth === 640 && v.videoHeight === 360 && v.currentTime > 0.5; })()`,
		"the live preview playing 640x360", 30*time.Second)
	first := d.frameDigest(`#sessions [data-key="dash1"] video.live`)
	d.waitJS(fmt.Sprintf(`(%s)(document.querySelector('#sessions [data-key="dash1"] video.live')) !== %q`, digestJS, first),
		"the live preview's picture to change", 10*time.Second)
	d.waitJS(`document.querySelector('#sessions [data-key="dash1"] .figures')?.textContent.includes("fps")`,
		"the session's frame rate shown", 15*time.Second)
	d.shoot("sessions")

	// Stop: the card goes once the recording is finished.
	d.viewport(1440, 900)
	d.run(chromedp.Click(chromedp.CSS(`#sessions [data-key="dash1"] button.danger`)))
	d.waitJS(`!document.querySelector('#sessions [data-key="dash1"]')`, "the stopped session to leave the list", time.Minute)

	// The recording is listed, plays in the page at the size asked for.
	v := s.vodOf("dash1")
	card := fmt.Sprintf(`#vods [data-key=%q]`, v.VodID)
	d.open("#recordings")
	d.run(chromedp.SetValue(chromedp.CSS("#vod-search"), "dash1"))
	d.waitJS(fmt.Sprintf(`!!document.querySelector('%s')`, card), "the recording listed", 15*time.Second)
	if got := d.text(card + " .title"); got != v.VodName {
		t.Errorf("the recording's card is titled %q, want %q", got, v.VodName)
	}
	d.run(chromedp.Click(chromedp.CSS(card + " button.primary")))
	d.waitJS(fmt.Sprintf(`(() => { const v = document.querySelector('%s video.player');
		return !!v && v.videoWidth === 640 && v.videoHeight === 360 && v.currentTime > 1; })()`, card),
		"the recording playing 640x360 in the page", 30*time.Second)
	// The service's own measurement reaches the card: a verdict, not "pending", with the
	// figures it measured. Whether a loaded machine delivered enough frames for "ok" is the
	// quality tests' business; the page shows what was found.
	d.waitJS(fmt.Sprintf(`(() => { const b = [...document.querySelectorAll('%s .badge')].map(b => b.textContent);
		const facts = document.querySelector('%s .quality .hint')?.textContent || "";
		return (b.includes("ok") || b.includes("suspect")) && facts.includes("640 × 360") && facts.includes("fps of 30"); })()`, card, card),
		"the recording's measured quality", time.Minute)
	// A measured recording shows its quality badge, problems and timeline, read from the VoD
	// as the catalog gives it: the page's fetch is wrapped to add them, markup included.
	d.eval(qualityFetchJS)
	d.waitJS(fmt.Sprintf(`document.querySelector('%s .badge.bad')?.textContent === "suspect"`, card),
		"the suspect badge", 15*time.Second)
	if got := d.eval(fmt.Sprintf(`[...document.querySelectorAll('%s .problems li')].map(li => li.textContent).join(" | ")`, card)); got != `<img src=x onerror=alert(1)> froze for 2.1 s at 0:03 | no sound from 0:01 to 0:02` {
		t.Errorf("the problems read %q", got)
	}
	if n := d.eval(`String(document.querySelectorAll('#vods img').length)`); n != "0" {
		t.Errorf("a problem's text became markup: %s <img> elements", n)
	}
	if got := d.text(card + " .timeline"); got != "Timeline:JSONWebVTT" {
		t.Errorf("the timeline links read %q", got)
	}
	d.shoot("recordings")

	// Rooms: the participant with its tracks, its name shown as the text it is.
	d.open("#rooms")
	d.waitJS(`!!document.querySelector('#rooms [data-key="lobby"] .participant')`, "the room lobby listed", 15*time.Second)
	if got := d.text(`#rooms [data-key="lobby"] .participant .name`); got != `<b>Ada</b> & "Co"` {
		t.Errorf("the participant's name reads %q", got)
	}
	if n := d.eval(`String(document.querySelectorAll('#rooms b').length)`); n != "0" {
		t.Errorf("a participant's name became markup: %s <b> elements", n)
	}
	if got := d.text(`#rooms [data-key="lobby"] .tracks`); !strings.Contains(got, "video") || !strings.Contains(got, "audio") {
		t.Errorf("the participant's tracks read %q, want video and audio", got)
	}
	d.run(chromedp.Click(chromedp.CSS(`#rooms [data-key="lobby"] .participant button`)))
	d.waitJS(`(() => { const v = document.querySelector('#rooms [data-key="lobby"] video.live');
		return !!v && v.videoWidth > 0 && v.currentTime > 0.5; })()`, "the participant playing", 30*time.Second)
	d.shoot("rooms")

	// Recording the room, in the speaker layout, and stopping it.
	d.viewport(1440, 900)
	d.run(chromedp.SetValue(chromedp.CSS(`#rooms [data-key="lobby"] .fields select`), "speaker"),
		chromedp.Click(chromedp.CSS(`#rooms [data-key="lobby"] button.primary`)))
	d.waitJS(`document.querySelector('#rooms [data-key="lobby"] .badge')?.textContent === "recording"`,
		"the room shown recording", time.Minute)
	s.waitState("lobby_composite", "ACTIVE", time.Minute)
	d.run(chromedp.Click(chromedp.CSS(`#rooms [data-key="lobby"] button.danger`)))
	d.waitJS(`document.querySelector('#rooms [data-key="lobby"] .badge')?.textContent === "not recorded"`,
		"the room's recording stopped", time.Minute)

	d.open("#node")
	d.waitJS(`document.getElementById("ready").textContent !== ""`, "the node's readiness", 15*time.Second)
	d.shoot("node")

	// Delete takes two clicks.
	d.viewport(1440, 900)
	d.open("#recordings")
	d.waitJS(fmt.Sprintf(`!!document.querySelector('%s')`, card), "the recording listed", 15*time.Second)
	d.run(chromedp.Click(chromedp.CSS(card + " button.danger")))
	if got := d.text(card + " button.danger"); got != "Really delete?" {
		t.Errorf("after one click the delete button reads %q", got)
	}
	d.run(chromedp.Click(chromedp.CSS(card + " button.danger")))
	d.waitJS(fmt.Sprintf(`!document.querySelector('%s')`, card), "the deleted recording to leave the list", 15*time.Second)
	for _, left := range s.vods() {
		if left.StreamID == "dash1" {
			t.Errorf("the recording is still listed by the API after delete: %+v", left)
		}
	}
}

// TestDashboardShellNeedsNoCredential checks that the page and its files are served to
// anybody (they hold no data) with a policy that keeps other sites' scripts and frames out,
// and that unknown files are not found.
func TestDashboardShellNeedsNoCredential(t *testing.T) {
	s := startService(t, func(c *controller.Config) { c.APIToken = "dashboard-test-token" })
	for _, p := range []string{"/", "/dashboard/app.js", "/dashboard/style.css", "/dashboard/hls.min.js"} {
		resp, _ := s.do("GET", p, nil)
		if resp.StatusCode != 200 {
			t.Errorf("GET %s: HTTP %d, want 200", p, resp.StatusCode)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("GET %s: Content-Security-Policy %q", p, csp)
		}
	}
	for _, p := range []string{"/dashboard/", "/dashboard/nope.js", "/dashboard/../go.mod", "/dashboard/index.html"} {
		if resp, _ := s.do("GET", p, nil); resp.StatusCode != 404 {
			t.Errorf("GET %s: HTTP %d, want 404", p, resp.StatusCode)
		}
	}
	// The data behind it needs the token.
	if resp, _ := s.do("GET", "/api/v1/rooms", nil); resp.StatusCode != 401 {
		t.Errorf("GET /api/v1/rooms without the token: HTTP %d, want 401", resp.StatusCode)
	}
}

// dashboard is a Chromium of the test's own with the dashboard open.
type dashboard struct {
	t    *testing.T
	s    *service
	ctx  context.Context
	dir  string // screenshots
	w, h int
}

func openDashboard(t *testing.T, s *service) *dashboard {
	t.Helper()
	dir := os.Getenv("MEDIAPUSH_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath("/usr/lib/chromium/chromium"), chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"), chromedp.Flag("hide-scrollbars", true))
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelTime := context.WithTimeout(ctx, 5*time.Minute)
	t.Cleanup(func() { cancelTime(); cancel(); cancelAlloc() })
	d := &dashboard{t: t, s: s, ctx: ctx, dir: dir}
	d.run(chromedp.Navigate(s.base + "/"))
	t.Logf("screenshots in %s", dir)
	return d
}

func (d *dashboard) run(actions ...chromedp.Action[chromedp.Void]) {
	d.t.Helper()
	if err := chromedp.Do(d.ctx, actions...); err != nil {
		d.t.Fatal(err)
	}
}

func (d *dashboard) eval(js string) string {
	d.t.Helper()
	out, err := chromedp.Run(d.ctx, chromedp.Evaluate[string](js))
	if err != nil {
		d.t.Fatal(err)
	}
	return out
}

func (d *dashboard) text(selector string) string {
	d.t.Helper()
	return d.eval(fmt.Sprintf(`document.querySelector(%q)?.textContent ?? "(missing)"`, selector))
}

func (d *dashboard) viewport(w, h int) {
	d.t.Helper()
	d.w, d.h = w, h
	d.run(chromedp.EmulateViewport(int64(w), int64(h)))
}

// open shows a view and waits for its first data.
func (d *dashboard) open(hash string) {
	d.t.Helper()
	d.eval(fmt.Sprintf(`location.hash = %q`, hash))
	view := strings.TrimPrefix(hash, "#")
	d.waitJS(fmt.Sprintf(`document.body.dataset.loaded === %q`, view), "the "+view+" view loaded", 15*time.Second)
}

// waitJS polls the page until js is true.
func (d *dashboard) waitJS(js, what string, within time.Duration) {
	d.t.Helper()
	deadline := time.Now().Add(within)
	for {
		if ok, err := chromedp.Run(d.ctx, chromedp.Evaluate[bool](js)); err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("waited %s for %s; the page shows: %s", within, what, d.eval(`document.querySelector("main").innerText.slice(0, 2000) + " | " + (document.getElementById("notice").hidden ? "" : document.getElementById("notice").textContent)`))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// digestJS sums a video's picture, drawn small: two different sums are two different pictures.
const digestJS = `(v) => { const c = document.createElement("canvas"); c.width = 64; c.height = 36;
	const g = c.getContext("2d"); g.drawImage(v, 0, 0, 64, 36); let sum = 0;
	for (const x of g.getImageData(0, 0, 64, 36).data) sum = (sum * 31 + x) % 1000000007; return String(sum); }`

func (d *dashboard) frameDigest(selector string) string {
	d.t.Helper()
	return d.eval(fmt.Sprintf(`(%s)(document.querySelector(%q))`, digestJS, selector))
}

// qualityFetchJS makes the page see every recording as measured and suspect, with a timeline.
const qualityFetchJS = `(() => {
  const plain = window.fetch;
  window.fetch = async (url, opts) => {
    const res = await plain(url, opts);
    if (!String(url).includes("/rest/v2/vods/list/")) return res;
    const list = await res.json();
    for (const v of list) {
      v.quality = "suspect";
      v.qualityReport = { problems: ["<img src=x onerror=alert(1)> froze for 2.1 s at 0:03", "no sound from 0:01 to 0:02"],
        width: 640, height: 360, requestedWidth: 640, requestedHeight: 360, fps: 29.7, requestedFps: 30, avOffsetMs: 12 };
      v.timeline = { json: "streams/x.timeline.json", webvtt: "streams/x.vtt" };
    }
    return new Response(JSON.stringify(list), { status: 200, headers: { "Content-Type": "application/json" } });
  };
  return "wrapped";
})()`

// layoutJS lists what a person would see as broken: the page scrolling sideways, text or
// controls reaching past the viewport's sides, text overlapping other text or a control.
const layoutJS = `(() => {
  const problems = [], vw = innerWidth;
  const sw = document.scrollingElement.scrollWidth;
  if (sw > vw) problems.push("the page is " + sw + " px wide in a " + vw + " px viewport");
  const shown = (el) => el.checkVisibility({ visibilityProperty: true }) && !el.closest("dialog:not([open]), option");
  // An open modal dialog is all a person can see and use; the page under it is inert.
  const root = document.querySelector("dialog[open]") || document.body;
  const boxes = [];
  const walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let n; (n = walk.nextNode());) {
    const text = n.textContent.trim();
    if (!text || !shown(n.parentElement)) continue;
    const r = document.createRange();
    r.selectNodeContents(n);
    for (const rect of r.getClientRects()) if (rect.width > 0 && rect.height > 0) boxes.push({ rect, node: n, what: JSON.stringify(text.slice(0, 40)) });
  }
  for (const el of root.querySelectorAll("input, select, button, video, audio, textarea")) {
    if (!shown(el)) continue;
    const rect = el.getBoundingClientRect();
    if (rect.width > 0 && rect.height > 0) boxes.push({ rect, node: el, what: el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + " " + JSON.stringify(el.textContent.trim().slice(0, 30)) });
  }
  for (const b of boxes) {
    if (b.rect.left < -0.5 || b.rect.right > vw + 0.5) problems.push(b.what + " reaches past the viewport (" + Math.round(b.rect.left) + " to " + Math.round(b.rect.right) + " of " + vw + ")");
  }
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i], b = boxes[j];
      if (a.node === b.node || a.node.contains(b.node) || b.node.contains(a.node)) continue;
      const w = Math.min(a.rect.right, b.rect.right) - Math.max(a.rect.left, b.rect.left);
      const h = Math.min(a.rect.bottom, b.rect.bottom) - Math.max(a.rect.top, b.rect.top);
      if (w > 1 && h > 1) problems.push(a.what + " overlaps " + b.what);
    }
  }
  return JSON.stringify(problems.slice(0, 20));
})()`

// shoot photographs the current view at a phone's and a desktop's width, checking its layout
// at each.
func (d *dashboard) shoot(name string) {
	d.t.Helper()
	for _, size := range [][2]int{{390, 844}, {1440, 900}} {
		d.viewport(size[0], size[1])
		// Let the layout settle on the new width (fonts, a poll that re-renders).
		time.Sleep(300 * time.Millisecond)
		var problems []string
		if err := json.Unmarshal([]byte(d.eval(layoutJS)), &problems); err != nil {
			d.t.Fatal(err)
		}
		for _, p := range problems {
			d.t.Errorf("%s at %d px: %s", name, size[0], p)
		}
		png, err := chromedp.Run(d.ctx, chromedp.FullScreenshot(100))
		if err != nil {
			d.t.Fatal(err)
		}
		file := filepath.Join(d.dir, fmt.Sprintf("%s-%d.png", name, size[0]))
		if err := os.WriteFile(file, png, 0o644); err != nil {
			d.t.Fatal(err)
		}
	}
}

// TestDashboardAsksForToken opens the dashboard of a node with an API token: the page asks
// for it once, then loads with it, and keeps it out of the address.
func TestDashboardAsksForToken(t *testing.T) {
	const token = "dashboard-test-token"
	s := startService(t, func(c *controller.Config) { c.APIToken = token })
	d := openDashboard(t, s)
	d.viewport(390, 844)
	d.waitJS(`document.getElementById("token-dialog").open`, "the token dialog", 15*time.Second)
	d.shoot("token")
	d.run(chromedp.SetValue(chromedp.CSS("#token-input"), "wrong"), chromedp.Click(chromedp.CSS("#token-form button")))
	d.waitJS(`document.getElementById("token-dialog").open && document.getElementById("token-error").textContent === "That token was refused."`,
		"the wrong token refused", 15*time.Second)
	d.run(chromedp.SetValue(chromedp.CSS("#token-input"), token), chromedp.Click(chromedp.CSS("#token-form button")))
	d.waitJS(`document.body.dataset.loaded === "sessions" && !document.getElementById("token-dialog").open`,
		"the sessions view loaded with the token", 15*time.Second)
	if u := d.eval(`location.href`); strings.Contains(u, token) {
		t.Errorf("the token is in the address: %s", u)
	}
}

// TestDashboardRemix remixes a room's raw recording from its card in the Recordings view:
// the remix appears with its progress and ends done, at a speed, its recording listed.
func TestDashboardRemix(t *testing.T) {
	s := startService(t, withRawRecordingAlways)
	const room = "dashremix"
	p := s.publish(t, room, remixAlice)
	time.Sleep(4 * time.Second)
	p.Close()
	v := s.rawVoD(room, 30*time.Second)

	d := openDashboard(t, s)
	d.viewport(1440, 900)
	d.open("#recordings")
	card := fmt.Sprintf(`#vods [data-key=%q]`, v.VodID)
	d.run(chromedp.SetValue(chromedp.CSS("#vod-kind"), "raw"))
	d.eval(`String(document.getElementById("vod-kind").dispatchEvent(new Event("change")))`)
	d.waitJS(fmt.Sprintf(`!!document.querySelector('%s .remix-form')`, card), "the raw recording with its remix form", 15*time.Second)
	if hidden := d.eval(fmt.Sprintf(`String([...document.querySelectorAll('%s > .actions button')].filter(b => !b.hidden).map(b => b.textContent))`, card)); hidden != "Delete" {
		t.Errorf("a raw recording's card offers %q; want only Delete besides the remix", hidden)
	}
	d.run(chromedp.SetValue(chromedp.CSS(card+" .remix-form select"), "speaker"),
		chromedp.Click(chromedp.CSS(card+" .remix-form button.primary")))
	d.waitJS(`!document.getElementById("remixes-section").hidden && !!document.querySelector('#remixes .remix')`, "the remix listed", 15*time.Second)
	if got := d.text(`#remixes .remix .title`); got != room+" · speaker" {
		t.Errorf("the remix card is titled %q", got)
	}
	d.waitJS(`document.querySelector('#remixes .remix .badge')?.textContent === "done"`, "the remix done", 2*time.Minute)
	if got := d.text(`#remixes .remix .meter-words`); got != "100 %" {
		t.Errorf("a finished remix's progress reads %q", got)
	}
	if speed := d.eval(`[...document.querySelectorAll('#remixes .remix .field')].find(f => f.firstChild.textContent === "Speed")?.lastChild.textContent || ""`); !strings.HasSuffix(speed, "× real time") {
		t.Errorf("a finished remix's speed reads %q", speed)
	}
	d.shoot("remix")
	if n := len(vodsOf[vod](s, room+"_remix_speaker")); n != 1 {
		t.Errorf("%d recordings of the remix listed, want 1", n)
	}
}
