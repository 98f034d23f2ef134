package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"mediapush/catalog"
	"mediapush/controller"
)

// qualityReport is the part of a recording's quality report these tests read.
type qualityReport struct {
	Problems        []string  `json:"problems"`
	MeasuredAt      int64     `json:"measuredAt"`
	DurationMs      int64     `json:"durationMs"`
	WallMs          int64     `json:"wallMs"`
	Width           int       `json:"width"`
	Height          int       `json:"height"`
	RequestedWidth  int       `json:"requestedWidth"`
	RequestedHeight int       `json:"requestedHeight"`
	FPS             float64   `json:"fps"`
	RequestedFPS    float64   `json:"requestedFps"`
	AVOffsetMs      *int64    `json:"avOffsetMs"`
	BlackSpans      []rawSpan `json:"blackSpans"`
	FrozenSpans     []rawSpan `json:"frozenSpans"`
	SilentSpans     []rawSpan `json:"silentSpans"`
}

type rawSpan struct {
	Start, End float64
}

// measuredVoD is a VoD with its quality.
type measuredVoD struct {
	vod
	Quality       string         `json:"quality"`
	QualityReport *qualityReport `json:"qualityReport"`
}

// measuredRecording is a recording of a Recordings.Available or Recording.Suspect webhook.
type measuredRecording struct {
	Filename      string         `json:"filename"`
	Quality       string         `json:"quality"`
	QualityReport *qualityReport `json:"qualityReport"`
}

func measuredVoDs(s *service, streamID string) []measuredVoD {
	s.t.Helper()
	return vodsOf[measuredVoD](s, streamID)
}

// hooksOf returns the recordings that deliveries of event told of, by file name.
func hooksOf(t *testing.T, h *hookReceiver, event string) map[string][]measuredRecording {
	t.Helper()
	out := map[string][]measuredRecording{}
	for _, c := range h.calls(true) {
		if c.event != event {
			continue
		}
		var p struct {
			EventType  string              `json:"eventType"`
			Recordings []measuredRecording `json:"recordings"`
		}
		if err := json.Unmarshal(c.body, &p); err != nil {
			t.Fatalf("%s body: %v: %s", event, err, c.body)
		}
		if p.EventType != event {
			t.Errorf("a %s delivery says it is %s", event, p.EventType)
		}
		for _, r := range p.Recordings {
			out[r.Filename] = append(out[r.Filename], r)
		}
	}
	return out
}

// withQualityLimits judges the short recordings of these tests: a few seconds of black,
// frozen picture or silence are what the bad pages show throughout.
func withQualityLimits(c *controller.Config) {
	c.Quality = controller.QualityConfig{MaxBlack: 2 * time.Second, MaxFrozen: 2 * time.Second, MaxSilence: 2 * time.Second}
}

// hasProblem tells whether one of problems starts with prefix.
func hasProblem(problems []string, prefix string) bool {
	return slices.ContainsFunc(problems, func(p string) bool { return strings.HasPrefix(p, prefix) })
}

// TestQualityReport records a black, a silent and a frozen page and the test pattern: the
// report of each names what is wrong with it, and nothing for the test pattern; a stop answers
// before its recording is measured; the webhooks carry the reports and Recording.Suspect goes
// out for the bad recordings only.
func TestQualityReport(t *testing.T) {
	hooks := newHookReceiver(t)
	s := startService(t, hooks.configure, withQualityLimits)
	const w, h = 640, 360
	pages := []struct {
		id, page, record string
		want             string // the problem the report must name; "" for none at all
		notWant          []string
	}{
		{"q-black", "test-black.html", "mp4", "the picture is black", []string{"there is no sound", "the picture does not move"}},
		{"q-silent", "test-silent.html", "mp4,mp3", "there is no sound", []string{"the picture is black", "the picture does not move"}},
		{"q-frozen", "test-frozen.html", "mp4", "the picture does not move", []string{"the picture is black", "there is no sound"}},
		{"q-pattern", "test-pattern.html", "mp4", "", nil},
	}
	for _, p := range pages {
		if r := s.start(p.id, map[string]any{"url": s.page(p.page), "width": w, "height": h, "recordType": p.record}); !r.Success {
			t.Fatalf("start %s: %s", p.id, r.msg())
		}
		time.Sleep(7 * time.Second)
		if r := s.stop(p.id); !r.Success {
			t.Fatalf("stop %s: %s", p.id, r.msg())
		}
		// The stop answered once the recording was listed, before it was measured: it is listed
		// pending, and nothing announced it yet.
		vods := measuredVoDs(s, p.id)
		if len(vods) == 0 {
			t.Fatalf("%s: no recording listed when the stop answered", p.id)
		}
		announced := hooksOf(t, hooks, controller.EventRecordingsAvailable)
		for _, v := range vods {
			if v.Quality != catalog.QualityPending {
				t.Errorf("%s: %s is %q when the stop answered, want pending", p.id, v.VodName, v.Quality)
			}
			if len(announced[v.VodName]) > 0 {
				t.Errorf("%s: %s was announced before the stop answered", p.id, v.VodName)
			}
		}
	}

	for _, p := range pages {
		var vods []measuredVoD
		waitFor(t, p.id+" measured", 2*time.Minute, func() bool {
			vods = measuredVoDs(s, p.id)
			for _, v := range vods {
				if v.Quality == catalog.QualityPending {
					return false
				}
			}
			return true
		})
		for _, v := range vods {
			r := v.QualityReport
			if r == nil {
				t.Fatalf("%s: %s has no quality report", p.id, v.VodName)
			}
			t.Logf("%s: %s %s %+v", p.id, v.VodName, v.Quality, *r)
			if r.MeasuredAt == 0 || r.DurationMs <= 0 || r.WallMs <= 0 {
				t.Errorf("%s: %s: report without its figures: %+v", p.id, v.VodName, *r)
			}
			if v.Format != "mp3" && (r.Width != w || r.Height != h || r.RequestedWidth != w || r.RequestedHeight != h || r.RequestedFPS != 30) {
				t.Errorf("%s: %s: size %dx%d of %dx%d requested, %v fps requested", p.id, v.VodName, r.Width, r.Height,
					r.RequestedWidth, r.RequestedHeight, r.RequestedFPS)
			}
			wantQuality := catalog.QualitySuspect
			if p.want == "" {
				wantQuality = catalog.QualityOK
				if len(r.Problems) != 0 {
					t.Errorf("%s: %s: problems %q, want none", p.id, v.VodName, r.Problems)
				}
				if r.AVOffsetMs == nil {
					t.Errorf("%s: %s: no A/V offset", p.id, v.VodName)
				}
			} else if !hasProblem(r.Problems, p.want) {
				t.Errorf("%s: %s: problems %q, want %q", p.id, v.VodName, r.Problems, p.want)
			}
			for _, no := range p.notWant {
				if v.Format != "mp3" && hasProblem(r.Problems, no) {
					t.Errorf("%s: %s: problems %q, want none like %q", p.id, v.VodName, r.Problems, no)
				}
			}
			if v.Quality != wantQuality {
				t.Errorf("%s: %s is %q, want %q", p.id, v.VodName, v.Quality, wantQuality)
			}
		}
	}

	// Each recording is announced once, measured; the bad ones alone are suspect.
	var files []string
	suspectFiles := map[string]bool{}
	for _, p := range pages {
		for _, v := range measuredVoDs(s, p.id) {
			files = append(files, v.VodName)
			suspectFiles[v.VodName] = p.want != ""
		}
	}
	waitFor(t, "every recording announced", time.Minute, func() bool {
		a := hooksOf(t, hooks, controller.EventRecordingsAvailable)
		for _, f := range files {
			if len(a[f]) == 0 {
				return false
			}
		}
		return true
	})
	waitFor(t, "the outbox emptied", time.Minute, func() bool {
		n := 0
		for _, f := range files {
			if suspectFiles[f] {
				n++
			}
		}
		got := 0
		for _, rs := range hooksOf(t, hooks, controller.EventRecordingSuspect) {
			got += len(rs)
		}
		return got >= n
	})
	available := hooksOf(t, hooks, controller.EventRecordingsAvailable)
	suspect := hooksOf(t, hooks, controller.EventRecordingSuspect)
	for _, f := range files {
		a := available[f]
		if len(a) != 1 || a[0].QualityReport == nil || a[0].Quality == "" || a[0].Quality == catalog.QualityPending {
			t.Errorf("Recordings.Available of %s: %+v, want one with its measured quality and report", f, a)
		}
		switch {
		case suspectFiles[f] && (len(suspect[f]) != 1 || suspect[f][0].Quality != catalog.QualitySuspect || len(suspect[f][0].QualityReport.Problems) == 0):
			t.Errorf("Recording.Suspect of %s: %+v, want one with its problems", f, suspect[f])
		case !suspectFiles[f] && len(suspect[f]) != 0:
			t.Errorf("Recording.Suspect of %s, which is fine: %+v", f, suspect[f])
		}
	}
	hooks.checkDeliveries(t)
}

// TestQualityRecoversPending: a recording listed pending by a process that stopped before it
// measured it is measured and announced by the next.
func TestQualityRecoversPending(t *testing.T) {
	data := t.TempDir()
	streams := filepath.Join(data, "streams")
	if err := os.MkdirAll(streams, 0o750); err != nil {
		t.Fatal(err)
	}
	// Five seconds of a still black picture and silence, as a page that broke would give.
	name := "left-pending-20260102_030405.mp4"
	if out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "color=black:s=320x240:r=30:d=5",
		"-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo:d=5", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
		"-c:a", "aac", "-shortest", filepath.Join(streams, name)).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, out)
	}
	cat, err := catalog.Open(filepath.Join(data, "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	err = cat.AddVoD(context.Background(), catalog.VoD{VodID: "left-pending", VodName: name, StreamID: "left-pending",
		FilePath: "streams/" + name, Type: "streamVod", CreationDate: time.Now().UnixMilli(), Duration: 5000, Format: "mp4",
		Kind: "mix", Storage: "local", Quality: catalog.QualityPending,
		QualityReport: json.RawMessage(`{"problems":[],"requestedWidth":320,"requestedHeight":240,"requestedFps":30,"wallMs":5100}`)})
	cat.Close()
	if err != nil {
		t.Fatal(err)
	}

	hooks := newHookReceiver(t)
	s, _ := startServiceOn(t, data, hooks.configure, withQualityLimits)
	waitFor(t, "the pending recording announced", time.Minute, func() bool {
		return len(hooksOf(t, hooks, controller.EventRecordingsAvailable)[name]) > 0
	})
	v := measuredVoDs(s, "left-pending")
	if len(v) != 1 || v[0].Quality != catalog.QualitySuspect || v[0].QualityReport == nil ||
		!hasProblem(v[0].QualityReport.Problems, "the picture is black") || !hasProblem(v[0].QualityReport.Problems, "there is no sound") {
		t.Fatalf("the recovered recording: %+v", v)
	}
	if a := hooksOf(t, hooks, controller.EventRecordingsAvailable)[name]; a[0].Quality != catalog.QualitySuspect {
		t.Errorf("announced as %q", a[0].Quality)
	}
	waitFor(t, "Recording.Suspect", time.Minute, func() bool {
		return len(hooksOf(t, hooks, controller.EventRecordingSuspect)[name]) == 1
	})
}
