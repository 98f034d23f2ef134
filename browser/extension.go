package browser

import (
	"embed"
	"io/fs"
	"os"
	"path/filepath"
)

// The capture extension: an MV3 extension whose service worker turns the page's tab into a
// capture stream and whose offscreen document publishes it over WebRTC. The manifest's "key"
// fixes its ID, which Chromium needs on the allow-list for tabCapture to work headless.
//
//go:embed extension
var extensionFiles embed.FS

// extensionID is derived from the public key in extension/manifest.json:
// the first 32 hex digits of sha256(key), written with the letters a–p.
const extensionID = "heagbkjopppeedgcgcjaakgpdfdjfjfi"

// installExtension writes the embedded extension into dir and returns its path.
func installExtension(dir string) (string, error) {
	dst := filepath.Join(dir, "extension")
	sub, err := fs.Sub(extensionFiles, "extension")
	if err != nil {
		return "", err
	}
	if err := os.CopyFS(dst, sub); err != nil {
		return "", err
	}
	return dst, nil
}
