package destination

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"mediapush/internal/destination/desttest"
)

// countingServer is a loopback server that counts the requests it gets.
type countingServer struct {
	*httptest.Server
	hits atomic.Int64
}

func newCountingServer(t *testing.T, tls bool, h http.HandlerFunc) *countingServer {
	c := &countingServer{}
	wrapped := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.hits.Add(1)
		h(w, r)
	})
	if tls {
		c.Server = httptest.NewTLSServer(wrapped)
	} else {
		c.Server = httptest.NewServer(wrapped)
	}
	t.Cleanup(c.Close)
	return c
}

func (c *countingServer) hostPort() string { return c.Listener.Addr().String() }

type proxyFixture struct {
	proxy   *Proxy
	client  *http.Client
	dials   *desttest.DialLog
	log     *bytes.Buffer
	allowed *countingServer // allowed by host:port; redirects /to?u=... there
	other   *countingServer // on loopback but not allowed
	secure  *countingServer // TLS, allowed by host:port
}

func newProxyFixture(t *testing.T) *proxyFixture {
	f := &proxyFixture{dials: &desttest.DialLog{}, log: &bytes.Buffer{}}
	f.other = newCountingServer(t, false, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "internal secret") })
	f.allowed = newCountingServer(t, false, func(w http.ResponseWriter, r *http.Request) {
		if to := r.URL.Query().Get("u"); to != "" {
			http.Redirect(w, r, to, http.StatusFound)
			return
		}
		io.WriteString(w, "public page "+r.URL.RawQuery)
	})
	f.secure = newCountingServer(t, true, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "secure page") })
	dns := &fakeDNS{table: map[string][]string{
		"rebind.test": {"127.0.0.1"},
		"lan.test":    {"10.0.0.1"},
	}}
	p, err := New(Config{Allow: []string{f.allowed.hostPort(), f.secure.hostPort()}, Resolve: dns.resolve, Dial: f.dials.Dial})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	f.proxy, err = p.ListenProxy(zerolog.New(lockedWriter{&mu, f.log}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.proxy.Close() })
	proxyURL, _ := url.Parse("http://" + f.proxy.Addr())
	pool := f.secure.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	f.client = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		Proxy: http.ProxyURL(proxyURL), TLSClientConfig: &tls.Config{RootCAs: pool}}}
	t.Cleanup(f.client.CloseIdleConnections)
	return f
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (f *proxyFixture) get(t *testing.T, raw string) (*http.Response, string) {
	t.Helper()
	resp, err := f.client.Get(raw)
	if err != nil {
		return nil, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func TestProxyForwardsAllowedDestinations(t *testing.T) {
	f := newProxyFixture(t)
	resp, body := f.get(t, f.allowed.URL+"/page?x=1")
	if resp == nil || resp.StatusCode != 200 || body != "public page x=1" {
		t.Fatalf("allowed plain page: %v %q", resp, body)
	}
	resp, body = f.get(t, f.secure.URL+"/")
	if resp == nil || resp.StatusCode != 200 || body != "secure page" {
		t.Fatalf("allowed https page through CONNECT: %v %q", resp, body)
	}
}

func TestProxyRefusesBeforeConnecting(t *testing.T) {
	f := newProxyFixture(t)
	_, otherPort, _ := net.SplitHostPort(f.other.hostPort())
	cases := []struct {
		name, url, want string
	}{
		{"loopback port not allowed", f.other.URL + "/?token=s3cr3t-token", "127.0.0.1 is loopback"},
		{"localhost", "http://localhost:" + otherPort + "/", "localhost is loopback"},
		{"metadata", "http://169.254.169.254/latest/meta-data/iam?token=s3cr3t-token", "169.254.169.254 is a cloud metadata address"},
		{"metadata name", "http://metadata.google.internal/computeMetadata/v1/", "metadata.google.internal is a cloud metadata address"},
		{"private", "http://10.0.0.1/", "10.0.0.1 is a private network address"},
		{"rebinding name", "http://rebind.test:" + otherPort + "/", "rebind.test (resolved to 127.0.0.1) is loopback"},
		{"name to a private address", "http://lan.test/", "lan.test (resolved to 10.0.0.1) is a private network address"},
		{"redirect to a refused port", f.allowed.URL + "/?u=" + url.QueryEscape(f.other.URL+"/"), "127.0.0.1 is loopback"},
		{"redirect to metadata", f.allowed.URL + "/?u=" + url.QueryEscape("http://169.254.169.254/"), "169.254.169.254 is a cloud metadata address"},
	}
	for _, c := range cases {
		resp, body := f.get(t, c.url)
		if resp == nil || resp.StatusCode != http.StatusForbidden || !strings.Contains(resp.Header.Get(ErrorHeader), c.want) ||
			!strings.Contains(body, c.want) {
			t.Errorf("%s: %v %q; want 403 naming %q", c.name, resp, body, c.want)
		}
	}
	// TLS goes through CONNECT: refused the same way.
	if _, err := f.client.Get("https://169.254.169.254/"); err == nil || !strings.Contains(err.Error(), "Forbidden") {
		t.Errorf("CONNECT to metadata: %v; want Forbidden", err)
	}
	if _, err := f.client.Get("https://" + f.other.hostPort() + "/"); err == nil || !strings.Contains(err.Error(), "Forbidden") {
		t.Errorf("CONNECT to a loopback port not allowed: %v; want Forbidden", err)
	}
	if n := f.other.hits.Load(); n != 0 {
		t.Errorf("the refused server got %d requests", n)
	}
	if got := f.dials.To(strings.SplitN(f.other.hostPort(), ":", 2)[0] + ":" + otherPort); len(got) > 0 {
		t.Errorf("the proxy connected to the refused server: %v", got)
	}
	for _, ip := range []string{"169.254.", "10."} {
		if got := f.dials.To(ip); len(got) > 0 {
			t.Errorf("the proxy dialled %v", got)
		}
	}
	if strings.Contains(f.log.String(), "s3cr3t-token") {
		t.Errorf("the proxy logged a query:\n%s", f.log.String())
	}
	if !strings.Contains(f.log.String(), "169.254.169.254") {
		t.Errorf("the refusals are not logged:\n%s", f.log.String())
	}
}

func TestProxyReportsUnreachableTargets(t *testing.T) {
	f := newProxyFixture(t)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	gone := ln.Addr().String()
	ln.Close()
	if err := f.proxy.policy.Allow(gone); err != nil {
		t.Fatal(err)
	}
	resp, _ := f.get(t, "http://"+gone+"/")
	if resp == nil || resp.StatusCode != http.StatusBadGateway || resp.Header.Get(ErrorHeader) != "connection refused by "+gone {
		t.Errorf("closed port: %v; want 502 connection refused by %s", resp, gone)
	}
	direct, err := http.Get("http://" + f.proxy.Addr() + "/")
	if err != nil {
		t.Fatal(err)
	}
	direct.Body.Close()
	if direct.StatusCode != http.StatusBadRequest {
		t.Errorf("a request to the proxy itself: HTTP %d; want 400", direct.StatusCode)
	}
}

func TestProxyCloseEndsTunnelsAndLeavesNothing(t *testing.T) {
	f := newProxyFixture(t)
	// A raw TCP peer that never answers: a tunnel to it stays open until the proxy closes.
	peer, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	go func() {
		for {
			c, err := peer.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	f.proxy.policy.Allow(peer.Addr().String())
	conn, err := net.Dial("tcp", f.proxy.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "CONNECT "+peer.Addr().String()+" HTTP/1.1\r\nHost: "+peer.Addr().String()+"\r\n\r\n")
	head := make([]byte, 64)
	n, _ := conn.Read(head)
	if !strings.HasPrefix(string(head[:n]), "HTTP/1.1 200") {
		t.Fatalf("CONNECT answer %q", head[:n])
	}
	addr := f.proxy.Addr()
	if err := f.proxy.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Read(head); err == nil || errors.Is(err, net.ErrClosed) || strings.Contains(err.Error(), "timeout") {
		t.Errorf("the tunnel is still open after Close: %v", err)
	}
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Errorf("the proxy's port still accepts connections after Close")
	}
	f.client.CloseIdleConnections()
	// The test's own servers still run; none of the proxy's goroutines may.
	deadline := time.Now().Add(5 * time.Second)
	for proxyGoroutines() != "" && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if left := proxyGoroutines(); left != "" {
		t.Errorf("the proxy's goroutines still run after Close:\n%s", left)
	}
}

// proxyGoroutines are the stacks of running goroutines in the proxy's code.
func proxyGoroutines() string {
	buf := make([]byte, 1<<20)
	var left []string
	for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
		if strings.Contains(g, "mediapush/internal/destination.") && !strings.Contains(g, "mediapush/internal/destination.Test") {
			left = append(left, g)
		}
	}
	return strings.Join(left, "\n\n")
}
