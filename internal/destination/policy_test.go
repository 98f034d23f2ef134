package destination

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
)

// fakeDNS answers from a table; a name not in it does not exist. It counts lookups.
type fakeDNS struct {
	mu      sync.Mutex
	table   map[string][]string
	lookups []string
}

func (f *fakeDNS) resolve(_ context.Context, host string) ([]netip.Addr, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lookups = append(f.lookups, host)
	var out []netip.Addr
	for _, a := range f.table[host] {
		out = append(out, netip.MustParseAddr(a))
	}
	if len(out) == 0 {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return out, nil
}

func (f *fakeDNS) looked() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.lookups...)
}

func newPolicy(t *testing.T, dns *fakeDNS, allow ...string) *Policy {
	t.Helper()
	p, err := New(Config{Allow: allow, Resolve: dns.resolve, Dial: func(context.Context, string, string) (net.Conn, error) {
		t.Error("the policy tests make no connection")
		return nil, errors.New("no dialling here")
	}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaultPolicyRefusesInternalAddresses(t *testing.T) {
	dns := &fakeDNS{}
	p := newPolicy(t, dns)
	refused := map[string]string{
		"http://169.254.169.254/latest/meta-data/":         "cloud metadata",
		"http://169.254.170.2/v2/credentials":              "cloud metadata",
		"http://[fd00:ec2::254]/":                          "cloud metadata",
		"http://100.100.100.200/":                          "cloud metadata",
		"http://169.254.1.1/":                              "link-local",
		"http://[fe80::1%25eth0]/":                         "link-local",
		"http://127.0.0.1:8080/":                           "loopback",
		"http://127.1.2.3/":                                "loopback",
		"http://[::1]/":                                    "loopback",
		"http://10.0.0.1/":                                 "private",
		"http://172.16.5.4/":                               "private",
		"http://172.31.255.255/":                           "private",
		"http://192.168.1.1/":                              "private",
		"http://[fd12:3456::1]/":                           "private",
		"http://100.64.0.1/":                               "CGNAT",
		"http://0.0.0.0/":                                  "unspecified",
		"http://[::]/":                                     "unspecified",
		"http://224.0.0.1/":                                "multicast",
		"http://[ff02::1]/":                                "multicast",
		"http://255.255.255.255/":                          "broadcast",
		"http://[::ffff:169.254.169.254]/":                 "cloud metadata",
		"http://[::ffff:127.0.0.1]/":                       "loopback",
		"http://[::ffff:10.0.0.1]/":                        "private",
		"http://[64:ff9b::a9fe:a9fe]/":                     "cloud metadata",
		"http://[2002:a00:1::]/":                           "private",
		"http://[::127.0.0.1]/":                            "loopback",
		"http://metadata.google.internal/computeMetadata/": "cloud metadata",
		"http://METADATA.google.internal./":                "cloud metadata",
		"http://metadata/":                                 "cloud metadata",
		"http://instance-data/":                            "cloud metadata",
		"http://localhost:5080/":                           "loopback",
		"http://app.localhost/":                            "loopback",
		"rtmp://192.168.0.10/live/key":                     "private",
		"https://10.1.1.1:8443/whip?token=secret-in-query": "private",
	}
	for raw, want := range refused {
		err := p.CheckURL(context.Background(), raw)
		var re *RefusedError
		if !errors.As(err, &re) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "--allow-destination") {
			t.Errorf("%s: %v; want refused as %s, naming the flag", raw, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "secret-in-query") {
			t.Errorf("%s: the error quotes the URL: %v", raw, err)
		}
	}
	if got := dns.looked(); len(got) > 0 {
		t.Errorf("refused literal addresses and names were looked up in DNS: %v", got)
	}
	for _, raw := range []string{"http://93.184.216.34/", "https://[2606:2800:220:1::]/", "rtmp://8.8.8.8/live/x", "http://172.32.0.1/"} {
		if err := p.CheckURL(context.Background(), raw); err != nil {
			t.Errorf("%s is public: %v", raw, err)
		}
	}
}

func TestNamesAreJudgedByTheirAddresses(t *testing.T) {
	dns := &fakeDNS{table: map[string][]string{
		"public.test":  {"93.184.216.34"},
		"rebind.test":  {"127.0.0.1"},
		"private.test": {"10.0.0.1"},
		"mixed.test":   {"93.184.216.34", "169.254.169.254"},
		"cam.lan":      {"192.168.1.20"},
	}}
	p := newPolicy(t, dns, "cam.lan")
	cases := map[string]string{
		"http://public.test/":  "",
		"http://rebind.test/":  "rebind.test (resolved to 127.0.0.1) is loopback",
		"http://private.test/": "private.test (resolved to 10.0.0.1) is a private network address",
		"http://mixed.test/":   "mixed.test (resolved to 169.254.169.254) is a cloud metadata address",
		"http://cam.lan:8080/": "",
		"http://missing.test/": "DNS lookup failed for missing.test: no such host",
		"http://bad_name!.x/":  "is not a valid host name",
	}
	for raw, want := range cases {
		err := p.CheckURL(context.Background(), raw)
		switch {
		case want == "" && err != nil:
			t.Errorf("%s: %v; want allowed", raw, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%s: %v; want %q", raw, err, want)
		}
	}
}

func TestAllowances(t *testing.T) {
	dns := &fakeDNS{table: map[string][]string{"rec.lan": {"10.9.9.9"}}}
	p := newPolicy(t, dns, "127.0.0.1:8081", "10.0.0.0/8", "fd00::5", "rec.lan:9000", "192.168.7.7")
	cases := []struct {
		host    string
		port    uint16
		allowed bool
	}{
		{"127.0.0.1", 8081, true},
		{"127.0.0.1", 8082, false}, // another port of an address allowed with a port
		{"::ffff:127.0.0.1", 8081, true},
		{"10.200.3.4", 1, true},
		{"11.0.0.1", 80, true}, // public anyway
		{"fd00::5", 443, true},
		{"fd00::6", 443, false},
		{"192.168.7.7", 1935, true},
		{"192.168.7.8", 1935, false},
		{"rec.lan", 9000, true},
		{"rec.lan", 9001, true}, // 10.9.9.9 is in 10.0.0.0/8
		{"169.254.169.254", 80, false},
	}
	for _, c := range cases {
		_, err := p.Resolve(context.Background(), c.host, c.port)
		if (err == nil) != c.allowed {
			t.Errorf("%s port %d: %v; want allowed=%v", c.host, c.port, err, c.allowed)
		}
	}
	p.AllowSelf(netip.MustParseAddrPort("127.0.0.1:8082"))
	if _, err := p.Resolve(context.Background(), "127.0.0.1", 8082); err != nil {
		t.Errorf("after AllowSelf: %v", err)
	}
	// localhost is loopback whatever DNS says; the node's own port is reachable by that name.
	if addrs, err := p.Resolve(context.Background(), "localhost", 8082); err != nil || len(addrs) != 1 || addrs[0].String() != "127.0.0.1" {
		t.Errorf("localhost on the node's own port: %v %v; want 127.0.0.1 alone", addrs, err)
	}
	if _, err := p.Resolve(context.Background(), "localhost", 8083); err == nil {
		t.Errorf("localhost on another port was allowed")
	}
	if got := dns.looked(); slices.Contains(got, "localhost") {
		t.Errorf("localhost was looked up in DNS: %v", got)
	}
	for _, bad := range []string{"", "10.0.0.0/33", "not a host", "host:0", "host:99999", "a..b", "-x.com", "http://x/"} {
		if _, err := New(Config{Allow: []string{bad}}); err == nil || !strings.Contains(err.Error(), "is not a CIDR, an IP address, a host name or host:port") {
			t.Errorf("allow %q: %v; want refused", bad, err)
		}
	}
}
