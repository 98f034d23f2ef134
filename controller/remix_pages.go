package controller

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"mediapush/internal/destination"
)

// remixPages serves mediapush's own layout pages to the remixes' browser, on a loopback port
// of its own. A remix of a room in a named layout records the page as a path
// (/{app}/multitrack-play.html?…) and finds it here, at whatever address the node listens on
// after a restart: the node's own listener is not known to the remixer, and may have moved.
// It serves what /{app}/<page> serves to anybody, and nothing else.
type remixPages struct {
	srv  *http.Server
	base string // http://127.0.0.1:port
}

func openRemixPages(policy *destination.Policy) (*remixPages, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("remix pages: %w", err)
	}
	p := &remixPages{base: "http://" + ln.Addr().String()}
	p.srv = &http.Server{Handler: http.HandlerFunc(servePage), ReadHeaderTimeout: 10 * time.Second}
	if ap, err := netip.ParseAddrPort(ln.Addr().String()); err == nil && policy != nil {
		policy.AllowSelf(ap)
	}
	go func() {
		if err := p.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return
		}
	}()
	return p, nil
}

// servePage answers /{app}/{page} with the embedded page.
func servePage(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if r.Method != http.MethodGet || len(parts) != 2 || !appPattern.MatchString(parts[0]) {
		http.NotFound(w, r)
		return
	}
	if !serveLayout(w, r, parts[1]) {
		http.NotFound(w, r)
	}
}

// url is where the remixes' browser finds an own page's path.
func (p *remixPages) url(path string) string { return p.base + path }

func (p *remixPages) close() { p.srv.Close() }
