package e2e

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

// amsPages serves StreamApp's pages, as the JS SDK's npm package ships them, the way an Ant
// Media server does: under /live/, with the SDK's ES modules at js/, on an origin whose
// /live/websocket (and everything else) reaches the service. It returns that origin.
//
// The package lacks a few files its pages load. jQuery and Bootstrap 4 (js/external/) come
// from their own npm packages; adapter.js and notify answer 404, which the pages survive in
// Chromium. play.html, which samples/play_webrtc.html embeds, is not shipped either: playPage
// stands in for it.
func amsPages(t testing.TB, s *service) (base string) {
	t.Helper()
	sdk := npmPackage(t, "@antmedia/webrtc_adaptor")
	jquery := filepath.Join(npmPackage(t, "jquery"), "dist")
	webapp := filepath.Join(sdk, "src", "main", "webapp")
	modules := filepath.Join(sdk, "dist", "es")
	target, err := url.Parse(s.base)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	files := map[string]string{
		"js/external/jquery-3.7.1.min.js":      filepath.Join(jquery, "jquery.min.js"),
		"js/external/jquery-3.7.1.slim.min.js": filepath.Join(jquery, "jquery.slim.min.js"),
		// The bundle carries Popper, which the pages load separately.
		"js/external/bootstrap.min.js": filepath.Join(npmPackage(t, "bootstrap"), "dist", "js", "bootstrap.bundle.min.js"),
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rel, ok := strings.CutPrefix(path.Clean(r.URL.Path), "/live/")
		if !ok || r.Method != http.MethodGet || r.Header.Get("Upgrade") != "" {
			proxy.ServeHTTP(w, r)
			return
		}
		if rel == "play.html" {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, playPage) //nolint:errcheck // the browser's problem
			return
		}
		file, ok := files[rel]
		switch {
		case ok:
		case strings.HasPrefix(rel, "js/external/"):
			file = filepath.Join(webapp, filepath.FromSlash(rel))
		case strings.HasPrefix(rel, "js/"):
			file = filepath.Join(modules, filepath.FromSlash(strings.TrimPrefix(rel, "js/")))
		default:
			file = filepath.Join(webapp, filepath.FromSlash(rel))
		}
		if st, err := os.Stat(file); err == nil && !st.IsDir() {
			http.ServeFile(w, r, file)
			return
		}
		if strings.HasPrefix(rel, "js/") || strings.HasSuffix(rel, ".html") {
			http.NotFound(w, r)
			return
		}
		proxy.ServeHTTP(w, r) // the service's own routes: websocket, REST, WHIP…
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// playPage plays ?id= with the SDK's WebRTCAdaptor into one video element, as StreamApp's
// play.html does (it tries again while the stream is not live).
const playPage = `<!DOCTYPE html><html><body style="margin:0;background:#000">
<video id="remoteVideo" autoplay muted playsinline style="width:100%"></video>
<script type="module">
import { WebRTCAdaptor } from "./js/webrtc_adaptor.js";
const id = new URLSearchParams(location.search).get("id");
const app = location.pathname.substring(0, location.pathname.lastIndexOf("/") + 1);
const adaptor = new WebRTCAdaptor({
  websocket_url: "ws://" + location.host + app + "websocket",
  isPlayMode: true,
  remoteVideoId: "remoteVideo",
  peerconnection_config: { iceServers: [] },
  callback: (info) => { if (info === "initialized") adaptor.play(id, ""); },
  callbackError: (error) => {
    if (error === "no_stream_exist") setTimeout(() => adaptor.play(id, ""), 1000);
  },
});
</script></body></html>`
