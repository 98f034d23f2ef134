package destination

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Config configures a Policy. The zero value refuses every non-public address.
type Config struct {
	// Allow lists destinations the operator trusts although they are in a refused range: CIDRs
	// (10.0.0.0/8), addresses (10.1.2.3, fd00::1), host names (cam.lan) and host:port
	// (127.0.0.1:8080, [::1]:8080, cam.lan:8080). An allowed name is trusted whatever it
	// resolves to; an address is allowed on every port, an address:port on that port only.
	Allow []string
	// Resolve looks a host name up. Default: the system resolver. Tests inject their own.
	Resolve func(ctx context.Context, host string) ([]netip.Addr, error)
	// Dial connects to an address:port the policy has accepted. Default: a net.Dialer.
	Dial func(ctx context.Context, network, address string) (net.Conn, error)
}

// Policy decides which destinations mediapush connects to on a caller's behalf.
type Policy struct {
	resolve func(ctx context.Context, host string) ([]netip.Addr, error)
	dial    func(ctx context.Context, network, address string) (net.Conn, error)

	mu        sync.RWMutex
	prefixes  []netip.Prefix
	addrPorts map[netip.AddrPort]bool // allowed entries with a port, and this node's own addresses
	names     map[string]bool         // allowed host names, any port
	namePorts map[string]bool         // allowed "name:port"
}

// lookupTimeout bounds a DNS lookup made to decide on a destination.
const lookupTimeout = 10 * time.Second

// New builds a policy; it fails on an Allow entry that is none of the accepted forms.
func New(cfg Config) (*Policy, error) {
	p := &Policy{resolve: cfg.Resolve, dial: cfg.Dial,
		addrPorts: map[netip.AddrPort]bool{}, names: map[string]bool{}, namePorts: map[string]bool{}}
	if p.resolve == nil {
		p.resolve = func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		}
	}
	if p.dial == nil {
		d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
		p.dial = d.DialContext
	}
	for _, entry := range cfg.Allow {
		if err := p.Allow(entry); err != nil {
			return nil, err
		}
	}
	return p, nil
}

var hostName = regexp.MustCompile(`^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$`)

// Allow adds one allowed destination, in any form Config.Allow takes.
func (p *Policy) Allow(entry string) error {
	e := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(entry)), ".")
	bad := fmt.Errorf("allowed destination %q is not a CIDR, an IP address, a host name or host:port", entry)
	p.mu.Lock()
	defer p.mu.Unlock()
	if strings.Contains(e, "/") {
		prefix, err := netip.ParsePrefix(e)
		if err != nil {
			return bad
		}
		if prefix.Addr().Is4In6() {
			// Addresses are judged unmapped, as IPv4: a mapped prefix must stay inside ::ffff:0:0/96
			// to name IPv4 addresses at all.
			if prefix.Bits() < 96 {
				return fmt.Errorf("allowed destination %q: an IPv4-mapped prefix needs at least 96 bits; write it as an IPv4 CIDR", entry)
			}
			prefix = netip.PrefixFrom(prefix.Addr().Unmap(), prefix.Bits()-96)
		}
		p.prefixes = append(p.prefixes, prefix.Masked())
		return nil
	}
	if a, err := netip.ParseAddr(strings.Trim(e, "[]")); err == nil {
		a = a.Unmap()
		p.prefixes = append(p.prefixes, netip.PrefixFrom(a, a.BitLen()))
		return nil
	}
	if host, port, err := net.SplitHostPort(e); err == nil {
		n, err := strconv.ParseUint(port, 10, 16)
		if err != nil || n == 0 {
			return bad
		}
		if a, err := netip.ParseAddr(host); err == nil {
			p.addrPorts[netip.AddrPortFrom(a.Unmap(), uint16(n))] = true
			return nil
		}
		if !hostName.MatchString(host) {
			return bad
		}
		p.namePorts[net.JoinHostPort(host, port)] = true
		return nil
	}
	if !hostName.MatchString(e) {
		return bad
	}
	p.names[e] = true
	return nil
}

// AllowSelf accepts one of this node's own listening addresses: its pages, API and ingest.
func (p *Policy) AllowSelf(ap netip.AddrPort) {
	ap = netip.AddrPortFrom(ap.Addr().Unmap().WithZone(""), ap.Port())
	p.mu.RLock()
	known := p.addrPorts[ap]
	p.mu.RUnlock()
	if known {
		return
	}
	p.mu.Lock()
	p.addrPorts[ap] = true
	p.mu.Unlock()
}

// RefusedError is a destination the policy refuses.
type RefusedError struct {
	Host   string     // the host as asked for: a name or an address
	Addr   netip.Addr // the refused address a name resolved to; invalid when the name itself is refused
	Reason string
}

func (e *RefusedError) Error() string {
	what := e.Host
	if e.Addr.IsValid() && e.Addr.String() != e.Host {
		what = fmt.Sprintf("%s (resolved to %s)", e.Host, e.Addr)
	}
	return fmt.Sprintf("%s is %s and is refused; allow it with --allow-destination", what, e.Reason)
}

// LookupError is a host name that could not be resolved, so could not be checked.
type LookupError struct {
	Host   string
	Reason string
}

func (e *LookupError) Error() string {
	return fmt.Sprintf("DNS lookup failed for %s: %s", e.Host, e.Reason)
}

// Resolve returns the addresses of host that a connection to port may use, or why there are
// none. An address or a name is judged after resolution: a name is refused if any of its
// addresses is, so that it cannot be steered to the refused one later.
func (p *Policy) Resolve(ctx context.Context, host string, port uint16) ([]netip.Addr, error) {
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if a, err := netip.ParseAddr(host); err == nil {
		if err := p.checkAddr(host, a, port); err != nil {
			return nil, err
		}
		return []netip.Addr{a.WithZone("")}, nil
	}
	if host == "" || !hostName.MatchString(host) {
		return nil, fmt.Errorf("%q is not a valid host name", host)
	}
	p.mu.RLock()
	trusted := p.names[host] || p.namePorts[net.JoinHostPort(host, strconv.Itoa(int(port)))]
	p.mu.RUnlock()
	if !trusted {
		switch reason := nameReason(host); {
		case reason == reasonLoopback:
			return p.localhost(host, port)
		case reason != "":
			return nil, &RefusedError{Host: host, Reason: reason}
		}
	}
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	addrs, err := p.resolve(ctx, host)
	if err != nil || len(addrs) == 0 {
		reason := "no address"
		var dnsErr *net.DNSError
		switch {
		case errors.As(err, &dnsErr):
			reason = dnsErr.Err
		case err != nil:
			reason = err.Error()
		}
		return nil, &LookupError{Host: host, Reason: reason}
	}
	for i, a := range addrs {
		addrs[i] = a.WithZone("")
		if trusted {
			continue
		}
		if err := p.checkAddr(host, a, port); err != nil {
			return nil, err
		}
	}
	return addrs, nil
}

// localhost resolves a localhost name as resolvers do, to loopback whatever DNS says, and keeps
// the addresses allowed for port: this node's own pages, reached as http://localhost:5080/,
// stay reachable.
func (p *Policy) localhost(host string, port uint16) ([]netip.Addr, error) {
	var ok []netip.Addr
	for _, a := range []netip.Addr{netip.AddrFrom4([4]byte{127, 0, 0, 1}), netip.IPv6Loopback()} {
		if p.allowed(a, port) {
			ok = append(ok, a)
		}
	}
	if len(ok) == 0 {
		return nil, &RefusedError{Host: host, Reason: reasonLoopback}
	}
	return ok, nil
}

// checkAddr refuses an address in a refused range that the operator has not allowed.
func (p *Policy) checkAddr(host string, a netip.Addr, port uint16) error {
	reason := classify(a)
	if reason == "" || p.allowed(a, port) {
		return nil
	}
	return &RefusedError{Host: host, Addr: a.WithZone(""), Reason: reason}
}

func (p *Policy) allowed(a netip.Addr, port uint16) bool {
	a = a.Unmap().WithZone("")
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.addrPorts[netip.AddrPortFrom(a, port)] {
		return true
	}
	for _, prefix := range p.prefixes {
		if prefix.Contains(a) {
			return true
		}
	}
	return false
}

// defaultPorts are the ports of the schemes mediapush connects to.
var defaultPorts = map[string]uint16{"http": 80, "https": 443, "ws": 80, "wss": 443, "rtmp": 1935, "rtmps": 443}

// CheckURL decides on the host of an absolute URL, resolving it. Its errors name the host,
// never the URL, whose path and query may hold secrets.
func (p *Policy) CheckURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return errors.New("the URL names no host")
	}
	port, ok := defaultPorts[u.Scheme]
	if s := u.Port(); s != "" {
		n, err := strconv.ParseUint(s, 10, 16)
		if err != nil {
			return fmt.Errorf("the port of %s is not a number", u.Hostname())
		}
		port, ok = uint16(n), true
	}
	if !ok {
		return fmt.Errorf("no port known for scheme %s", u.Scheme)
	}
	_, err = p.Resolve(ctx, u.Hostname(), port)
	return err
}
