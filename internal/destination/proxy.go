package destination

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/rs/zerolog"
)

// ErrorHeader carries, on the proxy's own error answers, why a destination could not be
// reached, in words a caller can act on.
const ErrorHeader = "Mediapush-Proxy-Error"

// Proxy is a forward HTTP proxy that goes only where its policy allows: plain requests are
// forwarded, CONNECT (https, wss) is tunnelled. It listens on a loopback port of its own.
type Proxy struct {
	policy    *Policy
	ln        net.Listener
	srv       *http.Server
	forward   *httputil.ReverseProxy
	transport *http.Transport
	log       zerolog.Logger

	mu      sync.Mutex
	closed  bool
	tunnels map[net.Conn]struct{}
	clients int            // browser connections open, tunnels aside
	running sync.WaitGroup // handlers, tunnels included
}

// ListenProxy starts a proxy for p on 127.0.0.1 at a free port.
func (p *Policy) ListenProxy(log zerolog.Logger) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	x := &Proxy{policy: p, ln: ln, log: log, transport: p.Transport(), tunnels: map[net.Conn]struct{}{}}
	quiet := newQuietLog()
	x.forward = &httputil.ReverseProxy{
		Rewrite:      func(*httputil.ProxyRequest) {}, // the request line is absolute: it names the target
		Transport:    x.transport,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) { x.fail(w, r.URL.Host, err) },
		ErrorLog:     quiet,
	}
	x.srv = &http.Server{Handler: http.HandlerFunc(x.serve), ReadHeaderTimeout: 10 * time.Second, ErrorLog: quiet,
		ConnState: x.connState}
	go x.srv.Serve(ln) //nolint:errcheck // ends with Close
	return x, nil
}

// newQuietLog drops net/http's own messages: they quote URLs, queries included.
func newQuietLog() *log.Logger { return log.New(io.Discard, "", 0) }

// connState drops the forwarded connections kept for reuse once no browser is connected: they
// live no longer than the browsers that use them.
func (x *Proxy) connState(_ net.Conn, state http.ConnState) {
	x.mu.Lock()
	switch state {
	case http.StateNew:
		x.clients++
	case http.StateClosed, http.StateHijacked:
		x.clients--
	}
	idle := x.clients == 0
	x.mu.Unlock()
	if idle {
		x.transport.CloseIdleConnections()
	}
}

// Addr is the proxy's address, host:port.
func (x *Proxy) Addr() string { return x.ln.Addr().String() }

func (x *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	x.mu.Lock()
	if x.closed {
		x.mu.Unlock()
		http.Error(w, "the proxy is closing", http.StatusServiceUnavailable)
		return
	}
	x.running.Add(1)
	x.mu.Unlock()
	defer x.running.Done()
	switch {
	case r.Method == http.MethodConnect:
		x.tunnel(w, r)
	case r.URL.IsAbs() && r.URL.Scheme == "http" && r.URL.Host != "":
		x.forward.ServeHTTP(w, r)
	default:
		w.Header().Set(ErrorHeader, "not a proxy request")
		http.Error(w, "this is a forward proxy: only absolute http:// requests and CONNECT are served", http.StatusBadRequest)
	}
}

// tunnel connects a CONNECT request to its target, then copies bytes both ways until either
// side closes.
func (x *Proxy) tunnel(w http.ResponseWriter, r *http.Request) {
	target := r.Host
	up, err := x.policy.DialContext(r.Context(), "tcp", target)
	if err != nil {
		x.fail(w, target, err)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		up.Close()
		http.Error(w, "tunnels are not supported on this connection", http.StatusInternalServerError)
		return
	}
	client, buf, err := hj.Hijack()
	if err != nil {
		up.Close()
		return
	}
	if !x.track(client, up) {
		return
	}
	defer x.untrack(client, up)
	if _, err := io.WriteString(client, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		io.Copy(up, buf.Reader) //nolint:errcheck // a tunnel ends when either side goes
		up.Close()
	}()
	io.Copy(client, up) //nolint:errcheck // as above
	client.Close()
	up.Close()
	<-done
}

// track registers a tunnel's connections so that Close can end them; false when closing.
func (x *Proxy) track(conns ...net.Conn) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		for _, c := range conns {
			c.Close()
		}
		return false
	}
	for _, c := range conns {
		x.tunnels[c] = struct{}{}
	}
	return true
}

func (x *Proxy) untrack(conns ...net.Conn) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, c := range conns {
		c.Close()
		delete(x.tunnels, c)
	}
}

// fail answers a request whose destination cannot be reached: 403 when the policy refuses
// it, 502 when it fails. Only the host is logged: a URL's query may hold a token.
func (x *Proxy) fail(w http.ResponseWriter, target string, err error) {
	msg, status := describe(target, err), http.StatusBadGateway
	if IsRefused(err) {
		status = http.StatusForbidden
		x.log.Warn().Str("destination", target).Str("reason", msg).Msg("a page asked for a refused destination")
	} else {
		x.log.Debug().Str("destination", target).Str("reason", msg).Msg("a page's destination could not be reached")
	}
	w.Header().Set(ErrorHeader, msg)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	io.WriteString(w, msg+"\n") //nolint:errcheck // the browser went away
}

// describe says why a connection to target failed, as Chromium's own errors would.
func describe(target string, err error) string {
	var re *RefusedError
	var le *LookupError
	switch {
	case errors.As(err, &re):
		return re.Error()
	case errors.As(err, &le):
		return le.Error()
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused by " + target
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		return "connection to " + target + " timed out"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset by " + target
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return target + " is unreachable"
	case errors.Is(err, context.Canceled):
		return "the request to " + target + " was cancelled"
	}
	return "cannot reach " + target
}

// Close stops the proxy: the listener, every connection and tunnel; it returns once every
// handler has ended.
func (x *Proxy) Close() error {
	x.mu.Lock()
	x.closed = true
	for c := range x.tunnels {
		c.Close()
	}
	x.mu.Unlock()
	err := x.srv.Close()
	x.running.Wait()
	x.transport.CloseIdleConnections()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
