// Package layouts holds the pages mediapush serves at /{app}/<page>, embedded in the binary.
package layouts

import "embed"

// FS holds the pages (multitrack-play.html, conference.html, test-pattern.html, …) and
// their scripts at its root.
//
//go:embed *.html *.js
var FS embed.FS
