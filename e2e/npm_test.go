package e2e

import (
	"os"
	"path/filepath"
	"testing"
)

// npmPackage is the directory of a client package the tests run from npm, as
// ./scripts/deps.sh --test installs it from e2e/web/package-lock.json.
func npmPackage(t testing.TB, name string) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("web", "node_modules", filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "package.json")); err != nil {
		t.Fatalf("npm package %s is not installed in e2e/web: run ./scripts/deps.sh --test (%v)", name, err)
	}
	return dir
}
