package controller

import (
	"net/http"
	"strings"
	"testing"
)

// An If-Match header never breaks the evaluation: it matches or fails, and a well-formed list
// holding the tag as a strong entity tag matches.
func FuzzIfMatchStatus(f *testing.F) {
	f.Add(`"abc"`, "abc")
	f.Add(`W/"abc", "x"`, "abc")
	f.Add(`*`, "abc")
	f.Add(`"`, "")
	f.Add("\x00,,\"", "\x00")
	f.Fuzz(func(t *testing.T, header, tag string) {
		switch got := ifMatchStatus([]string{header}, tag); got {
		case 0, http.StatusPreconditionFailed:
		default:
			t.Fatalf("%q against %q: %d", header, tag, got)
		}
		if strings.Contains(header+tag, `"`) {
			return
		}
		list := `W/"` + tag + `", "` + header + `" ,"` + tag + `"`
		if got := ifMatchStatus([]string{list}, tag); got != 0 {
			t.Fatalf("%q does not match %q: %d", list, tag, got)
		}
		if got := ifMatchStatus([]string{`W/"` + tag + `"`}, tag); got == 0 {
			t.Fatalf("a weak tag matched %q", tag)
		}
	})
}
