// Package layouts holds the pages mediapush serves at /{app}/<page>, embedded in the binary.
package layouts

import "embed"

// FS holds the pages (test-pattern.html, av-sync.html, …) at its root.
//
//go:embed *.html
var FS embed.FS
