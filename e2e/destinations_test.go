package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"mediapush/controller"
	"mediapush/internal/destination/desttest"
	"mediapush/internal/procstat"
)

// destinationTraffic is what a node's destination policy asked of the network: its DNS
// lookups answer from a table and its connections are recorded. Nothing leaves loopback:
// a connection elsewhere fails the test.
type destinationTraffic struct {
	names map[string]string // host name → address
	dials desttest.DialLog
}

func (d *destinationTraffic) option(cfg *controller.Config) {
	cfg.Destinations.Resolve = func(_ context.Context, host string) ([]netip.Addr, error) {
		if a, ok := d.names[host]; ok {
			return []netip.Addr{netip.MustParseAddr(a)}, nil
		}
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	cfg.Destinations.Dial = d.dials.Dial
}

// dialedTo lists the connections made to addresses that start with prefix.
func (d *destinationTraffic) dialedTo(prefix string) []string { return d.dials.To(prefix) }

// forbidden is a loopback server that the policy does not allow; it counts what reaches it.
type forbidden struct {
	*httptest.Server
	hits atomic.Int64
	port string
}

func newForbidden(t *testing.T) *forbidden {
	f := &forbidden{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.hits.Add(1)
		io.WriteString(w, "internal data")
	}))
	t.Cleanup(f.Close)
	_, f.port, _ = net.SplitHostPort(f.Listener.Addr().String())
	return f
}

// attacks counts the destinations tried and refused, for the log of the run.
type attacks struct{ tried, refused int }

func (a *attacks) count(refused bool) {
	a.tried++
	if refused {
		a.refused++
	}
}

// TestRefusedPagesFailAtOnce starts sessions on internal addresses with the policy of a fresh
// install: each start fails at once, naming the address and the flag that would allow it,
// with no browser started, no broadcast listed and no connection made.
func TestRefusedPagesFailAtOnce(t *testing.T) {
	other := newForbidden(t)
	traffic := &destinationTraffic{dials: desttest.DialLog{T: t}, names: map[string]string{"rebind.test": "127.0.0.1", "lan.test": "10.0.0.1"}}
	s := startService(t, withDefaultDestinations, traffic.option)
	goroutines, files := runtime.NumGoroutine(), procstat.OpenFiles()

	pages := []struct{ url, want string }{
		{"http://169.254.169.254/latest/meta-data/iam/security-credentials/", "169.254.169.254 is a cloud metadata address"},
		{"http://169.254.10.1/", "169.254.10.1 is link-local"},
		{"http://metadata.google.internal/computeMetadata/v1/?recursive=true", "metadata.google.internal is a cloud metadata address"},
		{"http://[fd00:ec2::254]/latest/", "fd00:ec2::254 is a cloud metadata address"},
		{"http://100.100.100.200/latest/meta-data/", "100.100.100.200 is a cloud metadata address"},
		{"http://[::ffff:169.254.169.254]/", "::ffff:169.254.169.254 is a cloud metadata address"},
		{other.URL + "/", "127.0.0.1 is loopback"},
		{"http://localhost:" + other.port + "/", "localhost is loopback"},
		{"http://[::1]:" + other.port + "/", "::1 is loopback"},
		{"http://10.0.0.1/", "10.0.0.1 is a private network address"},
		{"http://192.168.1.1/admin", "192.168.1.1 is a private network address"},
		{"https://172.16.0.1/", "172.16.0.1 is a private network address"},
		{"http://100.64.0.1/", "100.64.0.1 is a shared (CGNAT) address"},
		{"http://0.0.0.0:" + other.port + "/", "0.0.0.0 is unspecified"},
		{"http://rebind.test:" + other.port + "/", "rebind.test (resolved to 127.0.0.1) is loopback"},
		{"http://lan.test/", "lan.test (resolved to 10.0.0.1) is a private network address"},
	}
	var a attacks
	for i, p := range pages {
		id := fmt.Sprintf("refused-%d", i)
		r := s.start(id, map[string]any{"url": p.url, "width": 640, "height": 360})
		refused := !r.Success && strings.Contains(r.msg(), "the page's address "+p.want) && strings.Contains(r.msg(), "--allow-destination")
		a.count(refused)
		if !refused {
			t.Errorf("%s: %+v %q; want refused, naming %q and --allow-destination", p.url, r, r.msg(), p.want)
		}
		if code := s.getJSON("/live/rest/v2/broadcasts/"+id, &broadcast{}); code != http.StatusNotFound {
			t.Errorf("%s: a refused start left broadcast %s (HTTP %d)", p.url, id, code)
		}
	}
	if pids := procstat.Matching(s.data); len(pids) > 0 {
		t.Errorf("refused starts launched %d Chromium processes", len(pids))
	}
	if n := other.hits.Load(); n != 0 {
		t.Errorf("the refused loopback server got %d requests", n)
	}
	if d := traffic.dialedTo(""); len(d) > 0 {
		t.Errorf("refused starts made connections: %v", d)
	}
	settle(t, goroutines+2, files+2)

	// The node's own pages still record, through the proxy, under the default policy, also
	// when named localhost.
	own := strings.Replace(s.page("test-pattern.html"), "127.0.0.1", "localhost", 1)
	if r := s.start("own", map[string]any{"url": own, "width": 320, "height": 240}); !r.Success {
		t.Fatalf("the node's own page under the default policy: %s", r.msg())
	}
	if r := s.stop("own"); !r.Success {
		t.Errorf("stop: %s", r.msg())
	}
	t.Logf("page addresses: %d tried, %d refused before any connection", a.tried, a.refused)
}

// TestPageCannotLeaveThroughRedirectsAndSubresources opens pages of an allowed server that
// redirect, navigate and load subresources to refused destinations: the proxy Chromium goes
// through refuses each, before connecting.
func TestPageCannotLeaveThroughRedirectsAndSubresources(t *testing.T) {
	other := newForbidden(t)
	refusedHTTP := other.URL + "/secret?token=do-not-log-me"
	refusedHTTPS := "https://127.0.0.1:" + other.port + "/secret"
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/redirect":
			http.Redirect(w, r, refusedHTTP, http.StatusFound)
		case "/redirect-metadata":
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
		case "/redirect-https":
			http.Redirect(w, r, refusedHTTPS, http.StatusFound)
		case "/navigate":
			fmt.Fprintf(w, `<html><body style="background:#3a6"><script>
setTimeout(() => { location.href = %q }, 300)</script></body></html>`, other.URL+"/navigated")
		case "/subresources":
			fmt.Fprintf(w, `<html><body style="background:#36a">
<img src="%[1]s/img.png"><img src="http://169.254.169.254/img.png"><img src="http://rebind.test:%[2]s/img.png">
<iframe src="%[1]s/frame"></iframe>
<script>
window.results = [];
for (const u of ["%[1]s/fetch", "http://169.254.169.254/latest/meta-data/", "http://rebind.test:%[2]s/fetch",
                 "http://lan.test/", "https://127.0.0.1:%[2]s/tls"]) {
  fetch(u, {mode: "no-cors"}).then(() => results.push(u + " answered"), () => results.push(u + " failed"));
}
const ws = new WebSocket("ws://127.0.0.1:%[2]s/ws");
ws.onerror = () => results.push("ws failed");
const c = document.createElement("canvas"); c.width = c.height = 64; document.body.appendChild(c);
let n = 0; (function draw() { c.getContext("2d").fillStyle = n++ %% 2 ? "#fff" : "#000";
  c.getContext("2d").fillRect(0, 0, 64, 64); requestAnimationFrame(draw); })();
</script></body></html>`, other.URL, other.port)
		default:
			http.NotFound(w, r)
		}
	}))
	defer site.Close()
	traffic := &destinationTraffic{dials: desttest.DialLog{T: t}, names: map[string]string{"rebind.test": "127.0.0.1", "lan.test": "10.0.0.1"}}
	var logs bytes.Buffer
	var logMu sync.Mutex
	s := startService(t, withDefaultDestinations, traffic.option, func(cfg *controller.Config) {
		cfg.Destinations.Allow = []string{site.Listener.Addr().String()} // this server, no other loopback port
		cfg.Log = zerolog.New(io.MultiWriter(zerolog.NewTestWriter(t), lockedWriter{&logMu, &logs})).Level(zerolog.WarnLevel)
	})
	var a attacks

	// Redirects of the start page: the navigation ends on the proxy's refusal, which names it.
	for _, c := range []struct{ path, want string }{
		{"/redirect", "127.0.0.1 is loopback"},
		{"/redirect-metadata", "169.254.169.254 is a cloud metadata address"},
		{"/redirect-https", "refused or unreachable"},
	} {
		r := s.start("redirect", map[string]any{"url": site.URL + c.path, "width": 320, "height": 240})
		refused := !r.Success && strings.Contains(r.msg(), c.want)
		a.count(refused)
		if !refused {
			t.Errorf("start on %s: %+v %q; want a failure naming %q", c.path, r, r.msg(), c.want)
		}
	}

	// A page that navigates away, and one that loads subresources: both record (what they
	// show is theirs), and nothing they ask for reaches the refused server.
	if r := s.start("navigate", map[string]any{"url": site.URL + "/navigate", "width": 320, "height": 240}); !r.Success {
		t.Fatalf("start on /navigate: %s", r.msg())
	}
	if r := s.start("subresources", map[string]any{"url": site.URL + "/subresources", "width": 320, "height": 240}); !r.Success {
		t.Fatalf("start on /subresources: %s", r.msg())
	}
	var results []string
	waitFor(t, "the page's requests to settle", 15*time.Second, func() bool {
		r := s.call(http.MethodPost, "/live/rest/v1/media-push/send-command?streamId=subresources",
			map[string]any{"jsCommand": "return JSON.stringify(results)"})
		results = nil
		json.Unmarshal([]byte(r.msg()), &results)
		return len(results) == 6
	})
	// A no-cors fetch that the proxy answers 403 resolves as opaque, so the page cannot tell;
	// the refused server's count and the connections made can.
	t.Logf("the page's requests: %v", results)
	time.Sleep(time.Second) // a late subresource would show in the counts below
	for _, id := range []string{"navigate", "subresources"} {
		if r := s.stop(id); !r.Success {
			t.Errorf("stop %s: %s", id, r.msg())
		}
	}
	// 3 <img>, an <iframe>, 5 fetches, a WebSocket and a navigation.
	const pageAttacks = 11
	leaked := other.hits.Load() > 0
	if n := other.hits.Load(); n != 0 {
		t.Errorf("the refused loopback server got %d requests", n)
	}
	if d := traffic.dialedTo("127.0.0.1:" + other.port); len(d) > 0 {
		leaked = true
		t.Errorf("the proxy connected to the refused server: %v", d)
	}
	for _, prefix := range []string{"169.254.", "10.", "["} {
		if d := traffic.dialedTo(prefix); len(d) > 0 {
			leaked = true
			t.Errorf("the proxy connected to %v", d)
		}
	}
	for range pageAttacks {
		a.count(!leaked)
	}
	logMu.Lock()
	logged := logs.String()
	logMu.Unlock()
	if strings.Contains(logged, "do-not-log-me") {
		t.Errorf("a URL's query reached the log")
	}
	if !strings.Contains(logged, "refused destination") {
		t.Errorf("the refusals are not logged")
	}
	t.Logf("redirects, navigations and subresources: %d tried, %d refused", a.tried, a.refused)
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

// TestPushTargetsAreJudged adds pushes to refused addresses (refused when added, 400) and to
// an allowed WHIP server that redirects: the redirect is not followed, and what that server
// said appears nowhere.
func TestPushTargetsAreJudged(t *testing.T) {
	other := newForbidden(t)
	const secret = "SECRET-BODY-7f31c9"
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", other.URL+"/whip")
		w.WriteHeader(http.StatusTemporaryRedirect)
		io.WriteString(w, "go elsewhere: "+secret)
	}))
	defer redirector.Close()
	traffic := &destinationTraffic{dials: desttest.DialLog{T: t}, names: map[string]string{"lan.test": "10.0.0.1"}}
	var logs bytes.Buffer
	var logMu sync.Mutex
	s := startService(t, withDefaultDestinations, traffic.option, func(cfg *controller.Config) {
		cfg.Destinations.Allow = []string{redirector.Listener.Addr().String()}
		cfg.Log = zerolog.New(io.MultiWriter(zerolog.NewTestWriter(t), lockedWriter{&logMu, &logs})).Level(zerolog.DebugLevel)
	})
	const id = "pusher"
	if r := s.start(id, map[string]any{"url": s.page("test-pattern.html"), "width": 320, "height": 240}); !r.Success {
		t.Fatalf("start: %s", r.msg())
	}
	add := func(body any) (int, result) {
		resp, out := s.do(http.MethodPost, "/live/rest/v2/broadcasts/"+id+"/rtmp-endpoint", body)
		var r result
		json.Unmarshal(out, &r)
		return resp.StatusCode, r
	}
	var a attacks
	refusedTargets := []struct {
		body map[string]any
		want string
	}{
		{map[string]any{"rtmpUrl": "rtmp://169.254.169.254/live/hush-hush"}, "the RTMP server's address 169.254.169.254 is a cloud metadata address"},
		{map[string]any{"rtmpUrl": "rtmp://10.0.0.1/live/hush-hush"}, "the RTMP server's address 10.0.0.1 is a private network address"},
		{map[string]any{"rtmpUrl": "rtmp://192.168.1.1:1935/live/hush-hush"}, "the RTMP server's address 192.168.1.1 is a private network address"},
		{map[string]any{"rtmpUrl": "rtmp://127.0.0.1:" + other.port + "/live/hush-hush"}, "the RTMP server's address 127.0.0.1 is loopback"},
		{map[string]any{"rtmpUrl": "rtmp://lan.test/live/hush-hush"}, "lan.test (resolved to 10.0.0.1) is a private network address"},
		{map[string]any{"rtmpUrl": "rtmps://metadata.google.internal/live/hush-hush"}, "metadata.google.internal is a cloud metadata address"},
		{map[string]any{"whipUrl": "http://169.254.169.254/whip"}, "the WHIP endpoint's address 169.254.169.254 is a cloud metadata address"},
		{map[string]any{"whipUrl": "http://10.0.0.1/whip"}, "the WHIP endpoint's address 10.0.0.1 is a private network address"},
		{map[string]any{"whipUrl": other.URL + "/whip"}, "the WHIP endpoint's address 127.0.0.1 is loopback"},
	}
	for _, c := range refusedTargets {
		code, r := add(c.body)
		refused := code == http.StatusBadRequest && !r.Success && strings.Contains(r.msg(), c.want) &&
			strings.Contains(r.msg(), "--allow-destination")
		a.count(refused)
		if !refused {
			t.Errorf("%v: HTTP %d %q; want 400 naming %q", c.body, code, r.msg(), c.want)
		}
		if strings.Contains(r.msg(), "hush-hush") {
			t.Errorf("%v: the refusal echoes the stream key: %q", c.body, r.msg())
		}
	}
	if _, eps, _ := s.endpoints(id); len(eps) != 0 {
		t.Errorf("refused pushes are listed: %+v", eps)
	}
	// Dolby's rtmp/start judges its uri before the session starts.
	code, e := s.dolby(http.MethodPost, "/v2/conferences/mix/conf5/rtmp/start",
		map[string]any{"uri": "rtmp://169.254.169.254/live/hush-hush", "layoutUrl": s.page("test-pattern.html"), "width": 640, "height": 480}, nil)
	refused := code == http.StatusBadRequest && strings.Contains(e.Description, "the RTMP server's address 169.254.169.254 is a cloud metadata address")
	a.count(refused)
	if !refused {
		t.Errorf("rtmp/start to metadata: HTTP %d %q; want 400 naming the address", code, e.Description)
	}
	var listed []broadcast
	s.getJSON("/live/rest/v2/broadcasts/list/0/50", &listed)
	for _, b := range listed {
		if strings.HasPrefix(b.StreamID, "conf5_") {
			t.Errorf("a refused rtmp/start left broadcast %s", b.StreamID)
		}
	}

	// The redirecting WHIP server: the push fails with the status alone, and retries there.
	code, r := add(map[string]any{"whipUrl": redirector.URL + "/whip/x?token=abc"})
	if code != http.StatusOK || !r.Success {
		t.Fatalf("adding the allowed WHIP endpoint: HTTP %d %q", code, r.msg())
	}
	var raw string
	waitFor(t, "the push to report the redirect", 20*time.Second, func() bool {
		var eps []endpoint
		_, eps, raw = s.endpoints(id)
		return len(eps) == 1 && strings.Contains(eps[0].Error, "answered HTTP 307 Temporary Redirect")
	})
	a.count(other.hits.Load() == 0)
	if n := other.hits.Load(); n != 0 {
		t.Errorf("the redirect was followed: the second server got %d requests", n)
	}
	var answers strings.Builder
	answers.WriteString(raw)
	for _, path := range []string{"/live/rest/v2/broadcasts/list/0/50", "/live/rest/v2/broadcasts/" + id} {
		_, out := s.do(http.MethodGet, path, nil)
		answers.Write(out)
	}
	if r := s.stop(id); !r.Success {
		t.Errorf("stop: %s", r.msg())
	}
	logMu.Lock()
	logged := logs.String()
	logMu.Unlock()
	for where, text := range map[string]string{"API answers": answers.String(), "log": logged} {
		if strings.Contains(text, secret) {
			t.Errorf("the WHIP server's body reached the %s", where)
		}
		if strings.Contains(text, "token=abc") && where == "log" {
			t.Errorf("the WHIP URL's query reached the log")
		}
	}
	t.Logf("push targets: %d tried, %d refused", a.tried, a.refused)
}

// TestRefusedWebhookStopsTheNode opens nodes whose webhook receiver is internal: each fails to
// open, naming the address, and leaves nothing running.
func TestRefusedWebhookStopsTheNode(t *testing.T) {
	goroutines, files := runtime.NumGoroutine(), procstat.OpenFiles()
	var a attacks
	for _, c := range []struct{ url, want string }{
		{"http://169.254.169.254/hook", "169.254.169.254 is a cloud metadata address"},
		{"https://metadata.google.internal/hook", "metadata.google.internal is a cloud metadata address"},
		{"http://10.0.0.1:9000/hook", "10.0.0.1 is a private network address"},
		{"http://127.0.0.1:9/hook", "127.0.0.1 is loopback"},
		{"http://[fd00:ec2::254]/hook", "fd00:ec2::254 is a cloud metadata address"},
	} {
		data := t.TempDir()
		cfg := controller.Config{DataDir: data, Log: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)}
		cfg.Webhook.URL, cfg.Webhook.Secret = c.url, []byte("a webhook secret of some length")
		ctl, err := controller.Open(cfg)
		refused := err != nil && strings.Contains(err.Error(), "webhook: the receiver's address "+c.want)
		a.count(refused)
		if !refused {
			t.Errorf("webhook %s: %v; want refused naming %q", c.url, err, c.want)
		}
		if ctl != nil {
			ctl.Close(context.Background())
		}
	}
	settle(t, goroutines, files)
	t.Logf("webhook receivers: %d tried, %d refused", a.tried, a.refused)
}
