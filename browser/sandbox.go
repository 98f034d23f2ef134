package browser

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// SandboxMode says whether Chromium runs inside its own sandbox.
type SandboxMode string

// The sandbox modes. Auto sandboxes wherever the host allows it.
const (
	SandboxAuto SandboxMode = "auto"
	SandboxOn   SandboxMode = "on"
	SandboxOff  SandboxMode = "off"
)

// ParseSandboxMode reads auto, on or off; empty is auto.
func ParseSandboxMode(s string) (SandboxMode, error) {
	switch m := SandboxMode(s); m {
	case "":
		return SandboxAuto, nil
	case SandboxAuto, SandboxOn, SandboxOff:
		return m, nil
	}
	return "", fmt.Errorf("chromium sandbox %q: use auto, on or off", s)
}

// sandboxHost is what the sandbox decision looks at, replaceable in tests.
type sandboxHost struct {
	euid    int
	procSys string // /proc/sys
	// probe starts a process in new user, PID and network namespaces, as Chromium's
	// namespace sandbox does; nil if that worked.
	probe func() error
}

// DecideSandbox says whether Chromium (execPath, or the one Launch would find) runs sandboxed
// under mode on this host, and why. Chromium's Linux sandbox needs a non-root user and
// unprivileged user namespaces. With mode on, a host that cannot sandbox is an error.
func DecideSandbox(mode SandboxMode, execPath string) (on bool, why string, err error) {
	probe := func() error {
		exe, err := findChromium(execPath)
		if err != nil {
			return err
		}
		return probeNamespaces(exe)
	}
	return sandboxHost{euid: os.Geteuid(), procSys: "/proc/sys", probe: probe}.decide(mode)
}

func (h sandboxHost) decide(mode SandboxMode) (bool, string, error) {
	switch mode {
	case SandboxOff:
		return false, "the sandbox is turned off (--chromium-sandbox off)", nil
	case SandboxOn, SandboxAuto, "":
	default:
		return false, "", fmt.Errorf("chromium sandbox %q: use auto, on or off", mode)
	}
	missing := h.missing()
	switch {
	case missing == "":
		return true, "mediapush runs as a non-root user and the kernel allows unprivileged user namespaces", nil
	case mode == SandboxOn:
		return false, "", fmt.Errorf("chromium sandbox on: %s", missing)
	default:
		return false, missing, nil
	}
}

// missing says what keeps Chromium's sandbox from working here, or "".
func (h sandboxHost) missing() string {
	if h.euid == 0 {
		return "mediapush runs as root, where Chromium's sandbox does not run (run it as a non-root user)"
	}
	sysctl := func(name string) string {
		b, err := os.ReadFile(filepath.Join(h.procSys, filepath.FromSlash(name)))
		if err != nil {
			return "" // absent on this kernel: no such restriction
		}
		return strings.TrimSpace(string(b))
	}
	if sysctl("kernel/unprivileged_userns_clone") == "0" {
		return "the kernel forbids unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=0)"
	}
	if sysctl("user/max_user_namespaces") == "0" {
		return "the kernel allows no user namespaces (sysctl user.max_user_namespaces=0)"
	}
	if sysctl("kernel/apparmor_restrict_unprivileged_userns") == "1" {
		return "AppArmor restricts unprivileged user namespaces (sysctl kernel.apparmor_restrict_unprivileged_userns=1)"
	}
	if err := h.probe(); err != nil {
		return "starting a process in new user, PID and network namespaces, as the sandbox does, failed: " + err.Error()
	}
	return ""
}

// probeNamespaces runs exe --version in new user, PID and network namespaces; seccomp
// filters or container runtimes can forbid what the sysctls allow.
func probeNamespaces(exe string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, "--version")
	cmd.Env = []string{}
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWUSER | syscall.CLONE_NEWPID | syscall.CLONE_NEWNET}
	return cmd.Run()
}
