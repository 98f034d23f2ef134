package destination

import (
	"context"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// An --allow-destination entry is refused, or it is stored as a valid prefix, address:port or
// host name that the policy then allows.
func FuzzAllow(f *testing.F) {
	for _, e := range []string{"10.0.0.0/8", "10.1.2.3", "fd00::1", "[fd00::1]", "cam.lan", "CAM.LAN.", "127.0.0.1:8080",
		"[::1]:8080", "cam.lan:8080", "::ffff:10.0.0.0/104", "::ffff:10.1.2.3", "10.0.0.0/33", "cam.lan:0", "cam.lan:65536",
		"cam.lan:http", "-cam.lan", "cam..lan", "", " ", "/", "1.2.3.4/", "fe80::1%eth0", "a_b.c", "*.lan"} {
		f.Add(e)
	}
	f.Fuzz(func(t *testing.T, entry string) {
		p, err := New(Config{Allow: []string{entry}})
		if err != nil {
			if p != nil {
				t.Fatal("refused an entry but returned a policy")
			}
			return
		}
		for _, prefix := range p.prefixes {
			if !prefix.IsValid() || prefix != prefix.Masked() || prefix.Addr().Is4In6() || prefix.Addr().Zone() != "" {
				t.Fatalf("entry %q stored as prefix %v", entry, prefix)
			}
			if !p.allowed(prefix.Addr(), 443) {
				t.Fatalf("entry %q: the start of its prefix %v is not allowed", entry, prefix)
			}
		}
		for ap := range p.addrPorts {
			if !ap.IsValid() || ap.Port() == 0 || ap.Addr().Is4In6() || !p.allowed(ap.Addr(), ap.Port()) {
				t.Fatalf("entry %q stored as %v", entry, ap)
			}
		}
		for name := range p.names {
			if !hostName.MatchString(name) {
				t.Fatalf("entry %q stored as name %q", entry, name)
			}
		}
		for np := range p.namePorts {
			host, port, err := splitNamePort(np)
			if err != nil || !hostName.MatchString(host) || port == 0 {
				t.Fatalf("entry %q stored as %q", entry, np)
			}
		}
		if len(p.prefixes)+len(p.addrPorts)+len(p.names)+len(p.namePorts) != 1 {
			t.Fatalf("entry %q stored as %d rules, want 1", entry, len(p.prefixes)+len(p.addrPorts)+len(p.names)+len(p.namePorts))
		}
	})
}

func splitNamePort(s string) (string, uint64, error) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return "", 0, strconv.ErrSyntax
	}
	n, err := strconv.ParseUint(s[i+1:], 10, 16)
	return s[:i], n, err
}

// special is what no caller may reach unless the operator allowed it, judged by the standard
// library rather than the policy's own table (which refuses more).
func special(a netip.Addr) bool {
	a = a.Unmap().WithZone("")
	return a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsUnspecified() || a.IsMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsLinkLocalMulticast()
}

// A URL passes only when its host is public, or allowed by the operator for that port, whatever
// the name resolves to; nothing leaves the process (the resolver is the test's), and the refusal
// never quotes the URL's query.
func FuzzCheckURL(f *testing.F) {
	public := netip.MustParseAddr("93.184.216.34").AsSlice()
	for _, c := range []struct {
		url  string
		addr []byte
	}{
		{"https://example.com/page?token=s3cr3t", public},
		{"https://example.com/", netip.MustParseAddr("10.0.0.1").AsSlice()},
		{"https://example.com/", netip.MustParseAddr("::ffff:127.0.0.1").AsSlice()},
		{"https://example.com/", netip.MustParseAddr("169.254.169.254").AsSlice()},
		{"http://10.1.2.3:8080/", public},
		{"http://192.168.1.5:8080/", public},
		{"http://192.168.1.5:8081/", public},
		{"rtmp://cam.lan/live/key", netip.MustParseAddr("192.168.7.7").AsSlice()},
		{"http://localhost:5080/", public},
		{"http://LOCALHOST./", public},
		{"http://[::1]/", public},
		{"http://[::ffff:7f00:1]/", public},
		{"http://0x7f000001/", public},
		{"http://metadata.google.internal/", public},
		{"ftp://example.com/", public},
		{"http://example.com:99999/", public},
		{"http://:80/", public},
		{"//example.com/x", public},
		{"http://user:pw@example.com/?s3cr3t", nil},
	} {
		f.Add(c.url, c.addr)
	}
	f.Fuzz(func(t *testing.T, raw string, answer []byte) {
		resolved, ok := netip.AddrFromSlice(answer)
		if !ok {
			resolved = netip.MustParseAddr("93.184.216.34")
		}
		var looked []string
		p, err := New(Config{
			Allow: []string{"10.1.0.0/16", "cam.lan", "192.168.1.5:8080"},
			Resolve: func(_ context.Context, host string) ([]netip.Addr, error) {
				looked = append(looked, host)
				return []netip.Addr{resolved}, nil
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		err = p.CheckURL(context.Background(), raw)
		for _, h := range looked {
			if !hostName.MatchString(h) {
				t.Fatalf("looked up %q, not a host name", h)
			}
		}
		u, perr := url.Parse(raw)
		if err != nil {
			if perr == nil && len(u.RawQuery) >= 6 && strings.Contains(err.Error(), u.RawQuery) &&
				!strings.Contains(u.Host, u.RawQuery) && !strings.Contains(u.Scheme, u.RawQuery) {
				t.Fatalf("the refusal %q quotes the URL's query", err)
			}
			return
		}
		if perr != nil {
			t.Fatalf("accepted %q, which does not parse: %v", raw, perr)
		}
		port := map[string]uint64{"http": 80, "https": 443, "ws": 80, "wss": 443, "rtmp": 1935, "rtmps": 443}[u.Scheme]
		if u.Port() != "" {
			port, _ = strconv.ParseUint(u.Port(), 10, 16)
		}
		operatorAllowed := func(a netip.Addr) bool {
			a = a.Unmap().WithZone("")
			return netip.MustParsePrefix("10.1.0.0/16").Contains(a) || (a == netip.MustParseAddr("192.168.1.5") && port == 8080)
		}
		host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
		if a, err := netip.ParseAddr(host); err == nil {
			if special(a) && !operatorAllowed(a) {
				t.Fatalf("accepted %q, an address nobody allowed", raw)
			}
			return
		}
		switch {
		case host == "cam.lan":
		case host == "localhost" || strings.HasSuffix(host, ".localhost"):
			t.Fatalf("accepted %q: localhost is not allowed", raw)
		case special(resolved) && !operatorAllowed(resolved):
			t.Fatalf("accepted %q resolving to %v", raw, resolved)
		}
	})
}
