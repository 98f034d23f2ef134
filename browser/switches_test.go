package browser

import (
	"maps"
	"regexp"
	"strings"
	"testing"
)

func TestSwitchesThatRunProgramsAreRefused(t *testing.T) {
	for _, sw := range []string{
		"--renderer-cmd-prefix=/bin/sh -c touch${IFS}/tmp/marker",
		"--utility-cmd-prefix=/bin/sh -c id",
		"--gpu-launcher=/bin/sh -c id",
		"--browser-subprocess-path=/tmp/evil",
		"--lang=de,--renderer-cmd-prefix=/bin/sh",
		"renderer-cmd-prefix=/bin/sh",
		"-gpu-launcher=/bin/sh",
	} {
		name := regexp.MustCompile(`(renderer-cmd-prefix|utility-cmd-prefix|gpu-launcher|browser-subprocess-path)`).FindString(sw)
		got, err := ParseSwitches(sw)
		if err == nil {
			t.Errorf("ParseSwitches(%q) = %v, want an error", sw, got)
			continue
		}
		if !strings.Contains(err.Error(), "--"+name+" is not allowed") || !strings.Contains(err.Error(), "--chromium-switch") {
			t.Errorf("ParseSwitches(%q): %v; want it to name --%s and the server setting", sw, err, name)
		}
	}
}

func TestSwitchesOffTheListAreRefused(t *testing.T) {
	for sw, want := range map[string]string{
		"--enable-features=Foo":                  "--enable-features is not allowed",
		"--disable-features=IsolateOrigins":      "--disable-features is not allowed",
		"--disable-web-security":                 "--disable-web-security is not allowed",
		"--proxy-server=http://127.0.0.1:1":      "--proxy-server is set by mediapush",
		"--no-proxy-server":                      "--no-proxy-server is set by mediapush",
		"--host-resolver-rules=MAP * 127.0.0.1":  "--host-resolver-rules is set by mediapush",
		"--remote-allow-origins=*":               "--remote-allow-origins is not allowed",
		"--js-flags=--allow-natives-syntax":      "--js-flags is not allowed",
		"--ppapi-plugin-launcher=/bin/sh":        "--ppapi-plugin-launcher is not allowed",
		"--user-data-dir=/tmp/x":                 "--user-data-dir is set by mediapush",
		"--no-sandbox":                           "--no-sandbox is set by mediapush",
		"--load-extension=/tmp/x":                "--load-extension is set by mediapush",
		"--remote-debugging-address=0.0.0.0":     "--remote-debugging-address is set by mediapush",
		"--LANG=de":                              "is not a Chromium switch",
		"--a b":                                  "is not a Chromium switch",
		"--force-dark-mode,--force-dark-mode":    "--force-dark-mode is given twice",
		strings.Repeat("--force-dark-mode,", 80): "longer than 1024 characters",
	} {
		if _, err := ParseSwitches(sw); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseSwitches(%.60q) = %v; want an error with %q", sw, err, want)
		}
	}
}

func TestAllowedSwitchesWithGoodValuesPass(t *testing.T) {
	cases := map[string]map[string]any{
		"":                                     {},
		"--lang=de":                            {"lang": "de"},
		"--lang=pt-BR, --force-dark-mode":      {"lang": "pt-BR", "force-dark-mode": true},
		"accept-lang=zh-Hant-TW":               {"accept-lang": "zh-Hant-TW"},
		"--blink-settings=imagesEnabled=false": {"blink-settings": "imagesEnabled=false"},
		"--blink-settings=preferredColorScheme=0,--force-prefers-reduced-motion": {
			"blink-settings": "preferredColorScheme=0", "force-prefers-reduced-motion": true},
		"--force-color-profile=srgb,--font-render-hinting=none": {"force-color-profile": "srgb", "font-render-hinting": "none"},
		"--autoplay-policy=no-user-gesture-required":            {"autoplay-policy": "no-user-gesture-required"},
	}
	for list, want := range cases {
		got, err := ParseSwitches(list)
		if err != nil || !maps.Equal(got, want) {
			t.Errorf("ParseSwitches(%q) = %v, %v; want %v", list, got, err, want)
		}
	}
}

func TestAllowedSwitchesWithBadValuesAreRefused(t *testing.T) {
	for sw, want := range map[string]string{
		"--lang=de --renderer-cmd-prefix=/bin/sh":             "--lang=",
		"--lang=--renderer-cmd-prefix":                        "must be a language tag",
		"--lang=de\n--gpu-launcher=x":                         "must be a language tag",
		"--lang":                                              "--lang needs a value",
		"--lang=" + strings.Repeat("a", 40):                   "must be a language tag",
		"--force-dark-mode=--gpu-launcher=/bin/sh":            "--force-dark-mode takes no value",
		"--blink-settings=webSecurityEnabled=false":           "the value must be one of forceDarkModeEnabled",
		"--blink-settings=allowRunningOfInsecureContent=true": "the value must be one of",
		"--force-color-profile=../../etc/passwd":              "--force-color-profile=",
		"--font-render-hinting=full --no-sandbox":             "the value must be none, slight, medium or full",
		"--autoplay-policy=":                                  "the value must be no-user-gesture-required",
	} {
		if _, err := ParseSwitches(sw); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseSwitches(%q) = %v; want an error with %q", sw, err, want)
		}
	}
}

func TestServerSwitches(t *testing.T) {
	got, err := ParseServerSwitches([]string{"--force-dark-mode", "--enable-features=A,B", "font-render-hinting=none"})
	want := map[string]any{"force-dark-mode": true, "enable-features": "A,B", "font-render-hinting": "none"}
	if err != nil || !maps.Equal(got, want) {
		t.Errorf("ParseServerSwitches = %v, %v; want %v", got, err, want)
	}
	for item, want := range map[string]string{
		"--user-data-dir=/tmp/x":               "--user-data-dir is set by mediapush",
		"--mute-audio":                         "--mute-audio is set by mediapush",
		"--no-sandbox":                         "--chromium-sandbox off",
		"--proxy-server=http://127.0.0.1:3128": "--proxy-server is set by mediapush",
		"--host-resolver-rules=MAP * 10.0.0.1": "--host-resolver-rules is set by mediapush",
		"--lang=de\n--no-sandbox":              "control character",
		"--x y":                                "is not a Chromium switch",
	} {
		if _, err := ParseServerSwitches([]string{item}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseServerSwitches(%q) = %v; want an error with %q", item, err, want)
		}
	}
}

func TestMergeSwitches(t *testing.T) {
	server := map[string]any{"lang": "fr", "disable-features": "Foo", "force-dark-mode": true}
	caller := map[string]any{"lang": "de"}
	got := mergeSwitches(server, caller, false)
	if got["lang"] != "de" {
		t.Errorf("lang = %v; the caller's switch should replace the operator's", got["lang"])
	}
	if got["force-dark-mode"] != true {
		t.Errorf("the operator's --force-dark-mode is missing")
	}
	if f := got["disable-features"]; f != "Translate,MediaRouter,OptimizationHints,Foo" {
		t.Errorf("disable-features = %v; the operator's should add to mediapush's", f)
	}
	if got["no-sandbox"] != true {
		t.Errorf("no --no-sandbox without the sandbox")
	}
	if _, ok := mergeSwitches(nil, nil, true)["no-sandbox"]; ok {
		t.Errorf("--no-sandbox set although the sandbox is on")
	}
}
