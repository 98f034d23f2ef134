// Package dashboard is mediapush's operator page: sessions, rooms, recordings and the node,
// served at / with its scripts and styles under /dashboard/. The page holds no data: it
// reads everything through the control API in the operator's browser, under the API's
// access rules.
package dashboard

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"mediapush/layouts"
)

//go:embed static
var static embed.FS

// files are the dashboard's page, scripts and styles, flat.
var files, _ = fs.Sub(static, "static")

// securityHeaders keep the page to its own scripts and styles, out of other sites' frames.
// Media and fetches may go elsewhere: recordings kept in S3 play from pre-signed URLs.
var securityHeaders = map[string]string{
	"Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
		"media-src 'self' blob: https: http:; connect-src 'self' https: http:; worker-src 'self' blob:; " +
		"object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
	"X-Content-Type-Options": "nosniff",
	"Referrer-Policy":        "no-referrer",
	"Cache-Control":          "no-cache",
}

// Handler serves GET / (the page) and GET /dashboard/{file}.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, fsys := lookup(r.URL.Path)
		if fsys == nil {
			http.NotFound(w, r)
			return
		}
		for k, v := range securityHeaders {
			w.Header().Set(k, v)
		}
		http.ServeFileFS(w, r, fsys, name)
	})
}

// lookup maps a request path to a file and the file system holding it; nil when there is none.
// hls.js is the one the layout pages use.
func lookup(p string) (string, fs.FS) {
	if p == "/" {
		return "index.html", files
	}
	name, ok := strings.CutPrefix(p, "/dashboard/")
	if !ok || name == "" || name != path.Base(name) || name == "index.html" {
		return "", nil
	}
	if name == "hls.min.js" {
		return name, layouts.FS
	}
	if st, err := fs.Stat(files, name); err != nil || st.IsDir() {
		return "", nil
	}
	return name, files
}
