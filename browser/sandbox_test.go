package browser

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mediapush/internal/procstat"
)

// fakeProcSys is a /proc/sys holding the given sysctls ("kernel/unprivileged_userns_clone": "0").
func fakeProcSys(t *testing.T, sysctls map[string]string) string {
	dir := t.TempDir()
	for name, value := range sysctls {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(value+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestSandboxDecision(t *testing.T) {
	works := func() error { return nil }
	cases := []struct {
		name    string
		euid    int
		sysctls map[string]string
		probe   func() error
		// the outcome under auto, and the error under on ("" = sandboxed)
		wantAuto bool
		wantWhy  string
	}{
		{"non-root, namespaces allowed", 1000, map[string]string{"kernel/unprivileged_userns_clone": "1", "user/max_user_namespaces": "63000"},
			works, true, "non-root user"},
		{"non-root, no restricting sysctls", 1000, nil, works, true, "non-root user"},
		{"root", 0, nil, works, false, "runs as root"},
		{"userns clone off", 1000, map[string]string{"kernel/unprivileged_userns_clone": "0"}, works, false, "kernel.unprivileged_userns_clone=0"},
		{"no user namespaces", 1000, map[string]string{"user/max_user_namespaces": "0"}, works, false, "user.max_user_namespaces=0"},
		{"apparmor", 1000, map[string]string{"kernel/apparmor_restrict_unprivileged_userns": "1"}, works, false, "apparmor_restrict_unprivileged_userns=1"},
		{"probe fails", 1000, nil, func() error { return errors.New("operation not permitted") }, false, "operation not permitted"},
	}
	for _, c := range cases {
		h := sandboxHost{euid: c.euid, procSys: fakeProcSys(t, c.sysctls), probe: c.probe}
		on, why, err := h.decide(SandboxAuto)
		if err != nil || on != c.wantAuto || !strings.Contains(why, c.wantWhy) {
			t.Errorf("%s, auto: %v, %q, %v; want %v naming %q", c.name, on, why, err, c.wantAuto, c.wantWhy)
		}
		on, _, err = h.decide(SandboxOn)
		if c.wantAuto && (err != nil || !on) {
			t.Errorf("%s, on: %v, %v; want the sandbox", c.name, on, err)
		}
		if !c.wantAuto && (err == nil || !strings.Contains(err.Error(), c.wantWhy)) {
			t.Errorf("%s, on: %v, %v; want an error naming %q", c.name, on, err, c.wantWhy)
		}
		if on, _, err := h.decide(SandboxOff); on || err != nil {
			t.Errorf("%s, off: %v, %v; want no sandbox", c.name, on, err)
		}
	}
}

func TestSandboxMode(t *testing.T) {
	for in, want := range map[string]SandboxMode{"": SandboxAuto, "auto": SandboxAuto, "on": SandboxOn, "off": SandboxOff} {
		if got, err := ParseSandboxMode(in); got != want || err != nil {
			t.Errorf("ParseSandboxMode(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseSandboxMode("yes"); err == nil || !strings.Contains(err.Error(), `"yes": use auto, on or off`) {
		t.Errorf("ParseSandboxMode(yes) = %v", err)
	}
}

// TestSandboxOnThisHost checks the decision against what this host is: a root process never
// gets the sandbox, and on refuses to run there.
func TestSandboxOnThisHost(t *testing.T) {
	on, why, err := DecideSandbox(SandboxAuto, "")
	if err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 && (on || !strings.Contains(why, "root")) {
		t.Errorf("as root: sandbox %v (%s); want off because of root", on, why)
	}
	if _, _, err := DecideSandbox(SandboxOn, ""); os.Geteuid() == 0 && err == nil {
		t.Errorf("as root, sandbox on was accepted")
	}
	t.Logf("sandbox %v: %s", on, why)
	if !on {
		return
	}
	// Where the host allows it, a sandboxed Chromium opens pages, and its renderers run in a
	// PID namespace of their own (two pids on their status's NSpid line).
	srv := page(t)
	b := launchWith(t, Options{Sandbox: true}, 640, 360)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := b.Open(ctx, srv.URL+"/"); err != nil {
		t.Fatal(err)
	}
	renderers := 0
	for _, pid := range procstat.Descendants(b.PID()) {
		if !strings.Contains(procstat.Cmdline(pid), "--type=renderer") {
			continue
		}
		renderers++
		status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		for l := range strings.Lines(string(status)) {
			if f := strings.Fields(l); len(f) > 0 && f[0] == "NSpid:" && len(f) < 3 {
				t.Errorf("renderer %d runs in the browser's PID namespace (%s): not sandboxed", pid, strings.TrimSpace(l))
			}
		}
	}
	if renderers == 0 {
		t.Error("no renderer process found")
	}
}
