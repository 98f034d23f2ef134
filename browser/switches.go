package browser

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// baseSwitches are the Chromium switches every session runs with. chromedp's defaults are
// not used: they add --mute-audio (silent captures) and --disable-extensions (no capture).
// --no-sandbox is not among them: Options.Sandbox decides it.
var baseSwitches = map[string]any{
	"headless": "new",
	// Software compositing. Capturing a tab costs the GPU process two fresh 3.7 MB buffers per
	// drawn 720p frame (about 0.7 core at 30 fps on a VM where page faults are dear, against
	// 0.02 without capture); compositing with SwiftShader instead costs more (1.07 cores in
	// the GPU process) and delivered only 17 fps.
	"disable-gpu":                            true,
	"disable-quic":                           true,
	"no-first-run":                           true,
	"no-default-browser-check":               true,
	"disable-background-networking":          true, // no calls home on a closed network
	"disable-component-update":               true,
	"disable-sync":                           true,
	"disable-default-apps":                   true,
	"disable-breakpad":                       true,
	"disable-dev-shm-usage":                  true,
	"disable-background-timer-throttling":    true, // a headless tab counts as hidden: keep it at full speed
	"disable-backgrounding-occluded-windows": true,
	"disable-renderer-backgrounding":         true,
	"autoplay-policy":                        "no-user-gesture-required",
	"password-store":                         "basic",
	"use-mock-keychain":                      true,
	"hide-scrollbars":                        true,
	"force-device-scale-factor":              "1", // one CSS pixel = one recorded pixel
	"disable-features":                       "Translate,MediaRouter,OptimizationHints",
	"disable-client-side-phishing-detection": true,
	"disable-hang-monitor":                   true,
	"deny-permission-prompts":                true,
	"disable-session-crashed-bubble":         true,
}

// reservedSwitches are owned by mediapush: neither a caller nor the operator may set them,
// as they would break capture, isolation or cleanup. The sandbox has its own setting.
var reservedSwitches = map[string]bool{
	"user-data-dir": true, "load-extension": true, "disable-extensions-except": true,
	"allowlisted-extension-id": true, "disable-extensions": true, "remote-debugging-port": true,
	"remote-debugging-pipe": true, "remote-debugging-address": true, "headless": true,
	"mute-audio": true, "window-size": true, "no-sandbox": true,
	// The proxy enforces the destination policy; these would route around it.
	"proxy-server": true, "proxy-bypass-list": true, "no-proxy-server": true, "proxy-pac-url": true,
	"proxy-auto-detect": true, "host-resolver-rules": true, "host-rules": true,
}

// callerSwitch is a switch a start call may set, with the values it accepts.
type callerSwitch struct {
	// value is what a value must match in full; nil means the switch takes no value.
	value *regexp.Regexp
	// values says what value is, for error messages.
	values string
}

// A language tag (BCP 47 in the shapes Chromium knows: de, pt-BR, zh-Hant-TW).
var languageTag = regexp.MustCompile(`^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$`)

// callerSwitches are the switches a start call (extraChromeSwitches) may set. Each changes only
// how the page looks or sounds; none starts a program, loads code or files, opens a port,
// reaches the network or weakens Chromium's security. --enable-features and --disable-features
// are left out: among Chromium's hundreds of features some turn off site isolation or
// private-network checks. Operators set anything else: Options.ServerSwitches (mediapush
// serve --chromium-switch).
var callerSwitches = map[string]callerSwitch{
	"lang":                         {languageTag, "a language tag such as de or pt-BR"},
	"accept-lang":                  {languageTag, "a language tag such as de or pt-BR"},
	"force-dark-mode":              {},
	"force-prefers-reduced-motion": {},
	"blink-settings": {regexp.MustCompile(`^(forceDarkModeEnabled=(true|false)|preferredColorScheme=[01]|imagesEnabled=(true|false))$`),
		"one of forceDarkModeEnabled=true|false, preferredColorScheme=0|1 (dark, light), imagesEnabled=true|false"},
	"force-color-profile": {regexp.MustCompile(`^(srgb|display-p3-d65|rec2020|scrgb-linear|hdr10|generic-rgb|color-spin-gamma24)$`),
		"srgb, display-p3-d65, rec2020, scrgb-linear, hdr10, generic-rgb or color-spin-gamma24"},
	"font-render-hinting": {regexp.MustCompile(`^(none|slight|medium|full)$`), "none, slight, medium or full"},
	"autoplay-policy": {regexp.MustCompile(`^(no-user-gesture-required|user-gesture-required|document-user-activation-required)$`),
		"no-user-gesture-required, user-gesture-required or document-user-activation-required"},
}

// CallerSwitchNames are the switches a start call may set, sorted.
func CallerSwitchNames() []string {
	names := make([]string, 0, len(callerSwitches))
	for n := range callerSwitches {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// maxSwitchList bounds extraChromeSwitches; the longest list of allowed switches is far shorter.
const maxSwitchList = 1024

var switchName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// ParseSwitches parses Ant Media's extraChromeSwitches: a comma-separated list of
// "--name" or "--name=value" (leading dashes optional). Only callerSwitches with values they
// accept pass, each at most once; the error of anything else names the switch.
func ParseSwitches(list string) (map[string]any, error) {
	if len(list) > maxSwitchList {
		return nil, fmt.Errorf("extraChromeSwitches: longer than %d characters", maxSwitchList)
	}
	out := map[string]any{}
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(item, "-"), "=")
		if !switchName.MatchString(name) {
			return nil, fmt.Errorf("extraChromeSwitches: %q is not a Chromium switch", item)
		}
		if reservedSwitches[name] {
			return nil, fmt.Errorf("extraChromeSwitches: --%s is set by mediapush and cannot be changed", name)
		}
		allowed, ok := callerSwitches[name]
		if !ok {
			return nil, fmt.Errorf("extraChromeSwitches: --%s is not allowed in a start call; allowed are --%s "+
				"(other switches can only be set by the server's operator: mediapush serve --chromium-switch)",
				name, strings.Join(CallerSwitchNames(), ", --"))
		}
		if _, twice := out[name]; twice {
			return nil, fmt.Errorf("extraChromeSwitches: --%s is given twice", name)
		}
		switch {
		case allowed.value == nil && hasValue:
			return nil, fmt.Errorf("extraChromeSwitches: --%s takes no value", name)
		case allowed.value == nil:
			out[name] = true
		case !hasValue:
			return nil, fmt.Errorf("extraChromeSwitches: --%s needs a value: %s", name, allowed.values)
		case !allowed.value.MatchString(value):
			return nil, fmt.Errorf("extraChromeSwitches: --%s=%q: the value must be %s", name, value, allowed.values)
		default:
			out[name] = value
		}
	}
	return out, nil
}

// ParseServerSwitches parses the switches the server's operator adds to every browser, one
// "--name" or "--name=value" per item (a value may hold commas, e.g. --enable-features=A,B).
// Anything but the reserved switches may be set: the operator already controls the machine.
func ParseServerSwitches(items []string) (map[string]any, error) {
	out := map[string]any{}
	for _, item := range items {
		name, value, hasValue := strings.Cut(strings.TrimLeft(strings.TrimSpace(item), "-"), "=")
		if !switchName.MatchString(name) {
			return nil, fmt.Errorf("chromium switch %q is not a Chromium switch (--name or --name=value)", item)
		}
		if name == "no-sandbox" {
			return nil, fmt.Errorf("chromium switch --no-sandbox: use the sandbox setting (--chromium-sandbox off) instead")
		}
		if reservedSwitches[name] {
			return nil, fmt.Errorf("chromium switch --%s is set by mediapush and cannot be changed", name)
		}
		if strings.ContainsAny(value, "\x00\n\r") {
			return nil, fmt.Errorf("chromium switch --%s: the value holds a control character", name)
		}
		if hasValue {
			out[name] = value
		} else {
			out[name] = true
		}
	}
	return out, nil
}

// mergeSwitches is the switches one browser runs with: mediapush's, then the operator's,
// then the caller's, a later one replacing an earlier one of the same name, except that the
// operator's --disable-features add to mediapush's. sandbox false adds --no-sandbox.
func mergeSwitches(server, caller map[string]any, sandbox bool) map[string]any {
	out := make(map[string]any, len(baseSwitches)+len(server)+len(caller)+1)
	for n, v := range baseSwitches {
		out[n] = v
	}
	for n, v := range server {
		if s, ok := v.(string); ok && n == "disable-features" && s != "" {
			v = baseSwitches[n].(string) + "," + s
		}
		out[n] = v
	}
	for n, v := range caller {
		out[n] = v
	}
	if !sandbox {
		out["no-sandbox"] = true
	}
	return out
}
