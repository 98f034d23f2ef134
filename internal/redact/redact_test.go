package redact

import (
	"strings"
	"testing"
)

func TestText(t *testing.T) {
	const jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdHJlYW1JZCI6InJvb20xIn0.c2lnbmF0dXJlLWJ5dGVz"
	cases := []struct{ in, want string }{
		{"cannot open http://127.0.0.1:5080/live/multitrack-play.html?id=r1&layout=grid&token=" + jwt + ": refused",
			"cannot open http://127.0.0.1:5080/live/multitrack-play.html?id=r1&layout=grid&token=****: refused"},
		{"http://h/p?TOKEN=abc#frag", "http://h/p?TOKEN=****#frag"},
		{"http://h/r1?playOnly=true&token=x.y.z&enterDirectly=true", "http://h/r1?playOnly=true&token=****&enterDirectly=true"},
		{"https://user:pw@example.com/x", "https://****@example.com/x"},
		{"bare " + jwt + " in text", "bare **** in text"},
		{"http://h/p?id=tokenless&keep=1", "http://h/p?id=tokenless&keep=1"},
		{"no url here", "no url here"},
		{"https://app.example.com/cb#access_token=abc&state=1", "https://app.example.com/cb#access_token=****&state=1"},
		{"refused: token=abc (expired)", "refused: token=**** (expired)"},
		{"http://h/p?csrftoken=abc&keep=1", "http://h/p?csrftoken=****&keep=1"},
	}
	for _, c := range cases {
		if got := Text(c.in); got != c.want {
			t.Errorf("Text(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

func FuzzText(f *testing.F) {
	f.Add("http://h/p?token=abc&x=1")
	f.Add("eyJa.eyJb.c")
	f.Add("rtmp://u:p@h/app/key")
	f.Fuzz(func(t *testing.T, s string) {
		out := Text(s)
		if Text(out) != out {
			t.Errorf("Text is not idempotent on %q: %q then %q", s, out, Text(out))
		}
		if strings.Contains(s, "token=") && strings.Contains(out, "token=") {
			// every token= that survives must be masked or empty
			for _, part := range strings.Split(out, "token=")[1:] {
				if part != "" && !strings.HasPrefix(part, Mask) && !strings.ContainsAny(part[:1], "&#:\"'<> \t\n\r\v\f") {
					t.Errorf("a token value survived in %q", out)
				}
			}
		}
	})
}
