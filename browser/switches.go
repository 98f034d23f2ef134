package browser

import (
	"fmt"
	"regexp"
	"strings"
)

// baseSwitches are the Chromium switches every session runs with. chromedp's defaults are
// not used: they add --mute-audio (silent captures) and --disable-extensions (no capture).
var baseSwitches = map[string]any{
	"headless":                               "new",
	"no-sandbox":                             true,
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

// reservedSwitches are owned by mediapush: a caller changing them would break capture,
// isolation or cleanup.
var reservedSwitches = map[string]bool{
	"user-data-dir": true, "load-extension": true, "disable-extensions-except": true,
	"allowlisted-extension-id": true, "disable-extensions": true, "remote-debugging-port": true,
	"remote-debugging-pipe": true, "remote-debugging-address": true, "headless": true,
	"mute-audio": true, "window-size": true,
	// The proxy enforces the destination policy; these would route around it.
	"proxy-server": true, "proxy-bypass-list": true, "no-proxy-server": true, "proxy-pac-url": true,
	"proxy-auto-detect": true, "host-resolver-rules": true, "host-rules": true,
}

var switchName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// ParseSwitches parses Ant Media's extraChromeSwitches: a comma-separated list of
// "--name" or "--name=value" (leading dashes optional).
func ParseSwitches(list string) (map[string]any, error) {
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
		if hasValue {
			out[name] = value
		} else {
			out[name] = true
		}
	}
	return out, nil
}
