package browser

import (
	"encoding/json"
	"os"
	"path/filepath"
)

// allowExtensionInContexts writes, before the first start of a profile, the preference that
// lets the capture extension run in off-the-record profiles, which is what each tab's browser
// context is (Target.createBrowserContext). With "incognito": "split" in its manifest the
// extension then runs once per browser context: that context's service worker sees only its
// own tabs, and Chromium's tabCapture accepts them (it refuses tabs of another profile).
func allowExtensionInContexts(profileDir string) error {
	prefs := map[string]any{"extensions": map[string]any{"settings": map[string]any{
		extensionID: map[string]any{"incognito": true},
	}}}
	text, err := json.Marshal(prefs)
	if err != nil {
		return err
	}
	dir := filepath.Join(profileDir, "Default")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "Preferences"), text, 0o600)
}
