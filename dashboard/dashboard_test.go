package dashboard

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func get(t *testing.T, path string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec
}

func TestServesThePageAndItsFiles(t *testing.T) {
	for path, wantType := range map[string]string{
		"/":                     "text/html",
		"/dashboard/app.js":     "text/javascript",
		"/dashboard/style.css":  "text/css",
		"/dashboard/hls.min.js": "text/javascript",
	} {
		rec := get(t, path)
		if rec.Code != http.StatusOK {
			t.Errorf("GET %s: %d, want 200", path, rec.Code)
			continue
		}
		if got := rec.Header().Get("Content-Type"); !strings.HasPrefix(got, wantType) {
			t.Errorf("GET %s: Content-Type %q, want %s", path, got, wantType)
		}
		if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("GET %s: Content-Security-Policy %q", path, csp)
		}
	}
}

func TestRefusesWhatIsNotAFileOfIt(t *testing.T) {
	for _, path := range []string{
		"/dashboard/", "/dashboard/index.html", "/dashboard/../go.mod", "/dashboard/%2e%2e/dashboard.go",
		"/dashboard/static/app.js", "/dashboard/missing.js", "/index.html", "/other",
	} {
		if rec := get(t, path); rec.Code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, rec.Code)
		}
	}
}

// TestPageLoadsOnlyItsOwnFiles keeps the page within its Content-Security-Policy: every
// script and stylesheet it names is one of its own files, served here.
func TestPageLoadsOnlyItsOwnFiles(t *testing.T) {
	page, err := fs.ReadFile(files, "index.html")
	if err != nil {
		t.Fatal(err)
	}
	refs := regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(string(page), -1)
	if len(refs) == 0 {
		t.Fatal("the page names no script or stylesheet")
	}
	for _, m := range refs {
		if strings.HasPrefix(m[1], "#") {
			continue
		}
		if !strings.HasPrefix(m[1], "/dashboard/") {
			t.Errorf("the page loads %q, not one of its own files", m[1])
			continue
		}
		if rec := get(t, m[1]); rec.Code != http.StatusOK {
			t.Errorf("the page loads %s, which answers %d", m[1], rec.Code)
		}
	}
}

// TestModulesImportOnlyTheirSiblings checks that every module a script imports is a file of
// the dashboard: a missing one would leave the page blank.
func TestModulesImportOnlyTheirSiblings(t *testing.T) {
	scripts, err := fs.Glob(files, "*.js")
	if err != nil || len(scripts) == 0 {
		t.Fatalf("no scripts: %v", err)
	}
	imports := regexp.MustCompile(`(?:from\s+|import\()\s*"([^"]+)"`)
	for _, name := range scripts {
		if name == "hls.min.js" {
			continue
		}
		src, err := fs.ReadFile(files, name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range imports.FindAllStringSubmatch(string(src), -1) {
			if rec := get(t, "/dashboard/"+strings.TrimPrefix(m[1], "./")); !strings.HasPrefix(m[1], "./") || rec.Code != http.StatusOK {
				t.Errorf("%s imports %q, which is not a file of the dashboard", name, m[1])
			}
		}
	}
}
