package remix

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/rs/zerolog"

	"mediapush/browser"
	"mediapush/internal/redact"
)

// PageOptions say which layout page lays the scenes out, in which browser, at which size.
type PageOptions struct {
	// ExecPath, Sandbox, ServerSwitches and Proxy are the browser's (see browser.Options).
	ExecPath       string
	Sandbox        bool
	ServerSwitches map[string]any
	Proxy          string
	// URL is the layout page (validated by the caller: a page the remix may load).
	URL string
	// Width and Height are the output's size, the page's viewport.
	Width, Height int
	// Dir is an existing directory the screenshots go to, one PNG per scene named by its index.
	Dir string
	// Log receives the browser's events and the page's console errors.
	Log zerolog.Logger
}

// Size limits of a layout, those of a capture.
const (
	minWidth, maxWidth   = 160, 3840
	minHeight, maxHeight = 120, 2160
	// maxPictureSide bounds a participant's picture size: 8K.
	maxPictureSide = 7680
)

// Bounds of the steps of a layout. attachTimeout is a variable so that tests of a page that
// never attaches need not wait as long.
var (
	attachTimeout = 15 * time.Second
	settleTimeout = 10 * time.Second
	stepTimeout   = 30 * time.Second // launching, opening a tab or the page, one call in it
)

// settlePoll is how long to wait before asking again whether the page settled: the page
// answers at once when it has not, and after two frames when it has.
const settlePoll = 20 * time.Millisecond

// ErrNotRemixable is the cause when the layout page does not use mediapush's room.js, so a
// remix cannot show it the scenes.
var ErrNotRemixable = errors.New("the page does not use mediapush's room.js (layouts/room.js): a remix cannot drive it")

// driverScript puts the object that switches room.js into remix mode in place before the
// page's scripts run (see layouts/remix.js for what room.js adds to it).
var driverScript = `globalThis.mediapushRemix = {keyColor: ` + mustJSON(KeyColor) + `};`

// LayoutFrames shows the layout page each scene in turn and returns how it laid each out: the
// screenshot (a PNG in o.Dir) and where the participants' pictures are. Consecutive frames
// may be the same when the page shows two scenes alike. The browser, its temporary files and
// everything started for it are gone when it returns; so are the PNGs on an error.
func LayoutFrames(ctx context.Context, o PageOptions, scenes []Scene) (frames []Frame, err error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	if err := validateScenes(scenes); err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp("", "mediapush-remix-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	var written []string
	defer func() {
		if err != nil {
			for _, f := range written {
				os.Remove(f)
			}
		}
	}()

	tab, closeBrowser, err := openPage(ctx, o, work)
	if err != nil {
		return nil, err
	}
	defer closeBrowser()
	for i, s := range scenes {
		f, err := layOut(ctx, tab, o, i, s)
		if f.Image != "" {
			written = append(written, f.Image)
		}
		if err != nil {
			return nil, fmt.Errorf("scene %d (%d-%d ms): %w", i, s.FromMs, s.ToMs, err)
		}
		frames = append(frames, f)
	}
	return frames, nil
}

// openPage starts the browser with a tab of the output's size, opens the layout page in
// remix mode and waits for room.js to take the remix. closeBrowser ends it all.
func openPage(ctx context.Context, o PageOptions, work string) (tab *browser.Tab, closeBrowser func(), err error) {
	lctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	b, err := browser.Launch(lctx, browser.Options{ExecPath: o.ExecPath, WorkDir: work, ServerSwitches: o.ServerSwitches,
		Sandbox: o.Sandbox, Proxy: o.Proxy, Log: o.Log})
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		if err != nil {
			b.Close()
		}
	}()
	log := o.Log
	tab, err = b.NewTab(lctx, browser.TabOptions{Width: o.Width, Height: o.Height, Log: o.Log, Script: driverScript,
		OnConsoleError: func(text string) { log.Warn().Str("console", "error").Msg("layout page: " + text) }})
	if err != nil {
		return nil, nil, err
	}
	if err := tab.Open(lctx, o.URL); err != nil {
		tab.Close()
		return nil, nil, err
	}
	if err := waitAttached(ctx, tab); err != nil {
		tab.Close()
		return nil, nil, fmt.Errorf("%s: %w", redact.Text(o.URL), err)
	}
	return tab, func() { tab.Close(); b.Close() }, nil
}

// waitAttached waits for a Room of the page to be in remix mode.
func waitAttached(ctx context.Context, tab *browser.Tab) error {
	deadline := time.NewTimer(attachTimeout)
	defer deadline.Stop()
	for {
		got, err := evaluate(ctx, tab, "globalThis.mediapushRemix?.ready === true")
		if err != nil {
			return err
		}
		if got == "true" {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			return fmt.Errorf("%w (no Room of room.js started in remix mode within %s)", ErrNotRemixable, attachTimeout)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// sceneArg is a scene as remix.js's show takes it.
type sceneArg struct {
	Participants []Participant `json:"participants"`
	Speaker      string        `json:"speaker"`
}

// layOut shows the page scene s, waits for it to settle and takes its frame. The returned
// frame's Image is set once the PNG is written, on an error too.
func layOut(ctx context.Context, tab *browser.Tab, o PageOptions, i int, s Scene) (Frame, error) {
	parts := s.Participants
	if parts == nil {
		parts = []Participant{}
	}
	arg, err := json.Marshal(sceneArg{Participants: parts, Speaker: s.Speaker})
	if err != nil {
		return Frame{}, err
	}
	if _, err := evaluate(ctx, tab, "globalThis.mediapushRemix.show("+string(arg)+")"); err != nil {
		return Frame{}, fmt.Errorf("show the scene: %w", err)
	}
	if err := waitSettled(ctx, tab); err != nil {
		return Frame{}, err
	}
	text, err := evaluate(ctx, tab, "JSON.stringify(globalThis.mediapushRemix.boxes())")
	if err != nil {
		return Frame{}, fmt.Errorf("find the pictures: %w", err)
	}
	var f Frame
	if err := json.Unmarshal([]byte(text), &f.Boxes); err != nil {
		return Frame{}, fmt.Errorf("find the pictures: %w", err)
	}
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	png, err := tab.Screenshot(sctx)
	if err != nil {
		return Frame{}, err
	}
	path := filepath.Join(o.Dir, fmt.Sprintf("%06d.png", i))
	err = os.WriteFile(path, png, 0o644)
	f.Image = path
	return f, err
}

// waitSettled waits for the page to show every placeholder picture it shows playing.
func waitSettled(ctx context.Context, tab *browser.Tab) error {
	deadline := time.NewTimer(settleTimeout)
	defer deadline.Stop()
	for {
		waiting, err := evaluate(ctx, tab, "globalThis.mediapushRemix.settled()")
		if err != nil {
			return fmt.Errorf("wait for the page: %w", err)
		}
		if waiting == "" {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			return fmt.Errorf("the page did not settle within %s: %s", settleTimeout, waiting)
		case <-time.After(settlePoll):
		}
	}
}

// evaluate runs js in the page within stepTimeout.
func evaluate(ctx context.Context, tab *browser.Tab, js string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	return tab.Evaluate(ctx, js)
}

func (o PageOptions) validate() error {
	u, err := url.Parse(o.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("layout page %q: not an http(s) URL", redact.Text(o.URL))
	}
	if o.Width < minWidth || o.Width > maxWidth || o.Height < minHeight || o.Height > maxHeight {
		return fmt.Errorf("layout size %dx%d: must be %d..%d x %d..%d", o.Width, o.Height, minWidth, maxWidth, minHeight, maxHeight)
	}
	if o.Proxy != "" {
		if _, _, err := net.SplitHostPort(o.Proxy); err != nil {
			return fmt.Errorf("proxy %q: not host:port", o.Proxy)
		}
	}
	if o.Dir == "" {
		return errors.New("no directory for the layout's screenshots")
	}
	if fi, err := os.Stat(o.Dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("the layout's screenshot directory %s is not a directory", o.Dir)
	}
	return nil
}

func validateScenes(scenes []Scene) error {
	if len(scenes) == 0 {
		return errors.New("no scenes to lay out")
	}
	for i, s := range scenes {
		if s.ToMs < s.FromMs {
			return fmt.Errorf("scene %d ends (%d ms) before it starts (%d ms)", i, s.ToMs, s.FromMs)
		}
		seen := map[string]bool{}
		for _, p := range s.Participants {
			if p.StreamID == "" || len(p.StreamID) > 256 {
				return fmt.Errorf("scene %d: a participant's stream id is empty or too long", i)
			}
			if seen[p.StreamID] {
				return fmt.Errorf("scene %d: participant %q is listed twice", i, p.StreamID)
			}
			seen[p.StreamID] = true
			if p.Width < 0 || p.Width > maxPictureSide || p.Height < 0 || p.Height > maxPictureSide {
				return fmt.Errorf("scene %d: participant %q: picture size %dx%d out of range", i, p.StreamID, p.Width, p.Height)
			}
		}
		if s.Speaker != "" && !seen[s.Speaker] {
			return fmt.Errorf("scene %d: the speaker %q is not among its participants", i, s.Speaker)
		}
	}
	return nil
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
