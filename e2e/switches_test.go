package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mediapush/controller"
	"mediapush/internal/procstat"
)

// TestChromiumSwitchesCannotRunCommands sends the switches that make Chromium start a program
// of the caller's choosing: each start is refused with the switch named, leaves no session and
// no process behind, and the program never runs.
func TestChromiumSwitchesCannotRunCommands(t *testing.T) {
	s := startService(t)
	dir := t.TempDir()
	marker := filepath.Join(dir, "marker")
	script := filepath.Join(dir, "run.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\ntouch "+marker+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	shell := "/bin/sh -c touch${IFS}" + marker
	attacks := map[string]string{
		"renderer-cmd-prefix":     shell,
		"utility-cmd-prefix":      shell,
		"gpu-launcher":            shell,
		"browser-subprocess-path": script,
	}
	for name, value := range attacks {
		body := map[string]any{"url": s.page("test-pattern.html"), "width": 640, "height": 360,
			"extraChromeSwitches": "--" + name + "=" + value}
		r := s.start("attack", body)
		if r.Success {
			t.Errorf("--%s was accepted", name)
			s.stop("attack")
			continue
		}
		if !strings.Contains(r.msg(), "--"+name+" is not allowed") || !strings.Contains(r.msg(), "--chromium-switch") {
			t.Errorf("--%s: answer %q; want it to name the switch and the server's --chromium-switch", name, r.msg())
		}
		var b broadcast
		if code := s.getJSON("/live/rest/v2/broadcasts/attack", &b); code != http.StatusNotFound {
			t.Errorf("--%s: a session is left: HTTP %d %+v", name, code, b)
		}
		if pids := procstat.Matching(s.data); len(pids) > 0 {
			t.Errorf("--%s: %d processes run on the data directory", name, len(pids))
		}
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatalf("the caller's command ran: %s exists", marker)
	}
}

// TestOperatorChromiumSwitchApplies runs the browsers with the operator's --force-dark-mode,
// and a start call's own --accept-lang: the page sees both.
func TestOperatorChromiumSwitchApplies(t *testing.T) {
	s := startService(t, func(c *controller.Config) { c.ChromiumSwitches = []string{"--force-dark-mode"} })
	r := s.start("dark", map[string]any{"url": s.page("test-pattern.html"), "width": 640, "height": 360,
		"extraChromeSwitches": "--accept-lang=de-CH"})
	if !r.Success {
		t.Fatalf("start: %s", r.msg())
	}
	js := "return matchMedia('(prefers-color-scheme: dark)').matches + ' ' + navigator.language"
	got := s.call(http.MethodPost, "/live/rest/v1/media-push/send-command?streamId=dark", map[string]any{"jsCommand": js})
	if !got.Success || got.msg() != "true de-CH" {
		t.Errorf("the page sees %q (%v); want the operator's dark mode and the caller's language: \"true de-CH\"", got.msg(), got.Success)
	}
	if r := s.stop("dark"); !r.Success {
		t.Errorf("stop: %s", r.msg())
	}
}
