package e2e

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
)

// otherHost is a test host of the suite's own: a network namespace joined to this one by a veth
// pair, with addresses of its own. Traffic to it never leaves the machine.
type otherHost struct {
	t    *testing.T
	name string
	// local is this side's address on the pair, remote the other host's.
	local, remote string
}

var netnsSeq atomic.Int32

// newOtherHost creates the namespace and the pair; it needs root, as CI runs the suite.
func newOtherHost(t *testing.T) *otherHost {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("this test needs root to create a network namespace, and CI runs as root")
		}
		t.Skip("needs root to create a network namespace")
	}
	n := netnsSeq.Add(1)
	id := fmt.Sprintf("mp%d-%d", os.Getpid()%100000, n)
	// A /30 out of 10.231.0.0/16, picked per process: only these two ends exist on it.
	subnet := fmt.Sprintf("10.231.%d.%d", (os.Getpid()/64)%250, (os.Getpid()%64)*4)
	base := net.ParseIP(subnet).To4()
	h := &otherHost{t: t, name: id,
		local:  net.IPv4(base[0], base[1], base[2], base[3]+1).String(),
		remote: net.IPv4(base[0], base[1], base[2], base[3]+2).String()}
	vethHere, vethThere := "v"+id+"a", "v"+id+"b"
	h.must("ip", "netns", "add", id)
	t.Cleanup(func() { exec.Command("ip", "netns", "delete", id).Run() }) //nolint:errcheck // best effort
	h.must("ip", "link", "add", vethHere, "type", "veth", "peer", "name", vethThere)
	t.Cleanup(func() { exec.Command("ip", "link", "delete", vethHere).Run() }) //nolint:errcheck // gone with the namespace
	h.must("ip", "link", "set", vethThere, "netns", id)
	h.must("ip", "addr", "add", h.local+"/30", "dev", vethHere)
	h.must("ip", "link", "set", vethHere, "up")
	h.must("ip", "netns", "exec", id, "ip", "addr", "add", h.remote+"/30", "dev", vethThere)
	h.must("ip", "netns", "exec", id, "ip", "link", "set", vethThere, "up")
	h.must("ip", "netns", "exec", id, "ip", "link", "set", "lo", "up")
	return h
}

func (h *otherHost) must(args ...string) {
	h.t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		h.t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// serveOn also serves s's API on this side's address of the pair, as a node listening on
// every interface would.
func (h *otherHost) serveOn(s *service) string {
	h.t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(h.local, "0"))
	if err != nil {
		h.t.Fatal(err)
	}
	srv := &http.Server{Handler: s.ctl.Handler()}
	go srv.Serve(ln) //nolint:errcheck // ends with Close
	h.t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// curl makes a request from the other host and returns the status and body.
func (h *otherHost) curl(method, url, body string, headers ...string) (int, string) {
	h.t.Helper()
	args := []string{"netns", "exec", h.name, "curl", "-s", "-m", "20", "-X", method, "-w", "\n%{http_code}", url}
	for _, hd := range headers {
		args = append(args, "-H", hd)
	}
	if body != "" {
		args = append(args, "--data-binary", body)
	}
	out, err := exec.Command("ip", args...).Output()
	if err != nil {
		h.t.Fatalf("curl %s %s from the other host: %v", method, url, err)
	}
	text := strings.TrimRight(string(out), "\n")
	i := strings.LastIndex(text, "\n")
	var code int
	fmt.Sscan(text[i+1:], &code) //nolint:errcheck // 0 when curl got no answer
	return code, text[:max(i, 0)]
}
