package browser

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseSwitches checks that whatever a start call's extraChromeSwitches holds, what passes
// is on the allow-list, never reserved, and carries values that cannot smuggle another switch.
func FuzzParseSwitches(f *testing.F) {
	for _, seed := range []string{
		"", "--lang=de", "--lang=pt-BR,--force-dark-mode", "--force-dark-mode=1",
		"--renderer-cmd-prefix=/bin/sh -c touch${IFS}/tmp/marker", "--utility-cmd-prefix=x",
		"--gpu-launcher=x", "--browser-subprocess-path=x", "--blink-settings=imagesEnabled=false",
		"--lang=de\x00--no-sandbox", "--lang=de\n--gpu-launcher=x", "lang=de,,, --accept-lang=fr",
		"--font-render-hinting=none,--force-color-profile=srgb", "--user-data-dir=/tmp",
		"---lang=de", "--lang==de", "--autoplay-policy=no-user-gesture-required",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, list string) {
		got, err := ParseSwitches(list)
		if err != nil {
			return
		}
		for name, value := range got {
			allowed, ok := callerSwitches[name]
			if !ok {
				t.Fatalf("%q passed with --%s, which is not on the allow-list", list, name)
			}
			if reservedSwitches[name] {
				t.Fatalf("%q passed with the reserved --%s", list, name)
			}
			switch v := value.(type) {
			case bool:
				if allowed.value != nil {
					t.Fatalf("%q: --%s passed without the value it needs", list, name)
				}
			case string:
				if allowed.value == nil {
					t.Fatalf("%q: --%s passed with a value it does not take", list, name)
				}
				if len(v) > 64 || strings.ContainsAny(v, ", \t\r\n\x00\"'$;|&`\\/") || strings.HasPrefix(v, "-") || !utf8.ValidString(v) {
					t.Fatalf("%q: --%s=%q could carry something else than its value", list, name, v)
				}
			default:
				t.Fatalf("%q: --%s has a value of type %s", list, name, fmt.Sprintf("%T", v))
			}
		}
	})
}
