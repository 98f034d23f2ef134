package destination

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"time"
)

// DialContext connects to address (host:port) if the policy accepts it. It resolves the host
// itself and dials the very addresses it has checked, so an answer that changes between the
// check and the connection (DNS rebinding) cannot slip past.
func (p *Policy) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, portText, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil {
		return nil, &net.AddrError{Err: "invalid port", Addr: address}
	}
	addrs, err := p.Resolve(ctx, host, uint16(port))
	if err != nil {
		return nil, err
	}
	var first error
	for _, a := range addrs {
		if (network == "tcp4" && !a.Unmap().Is4()) || (network == "tcp6" && a.Is4()) {
			continue
		}
		conn, err := p.dial(ctx, network, netip.AddrPortFrom(a, uint16(port)).String())
		if err == nil {
			return conn, nil
		}
		if first == nil {
			first = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	if first == nil {
		first = &net.AddrError{Err: "no address of the wanted family", Addr: host}
	}
	return nil, first
}

// Transport is an HTTP transport that connects only where the policy allows. It ignores the
// HTTP_PROXY environment: a proxy would make the connection in the policy's stead.
func (p *Policy) Transport() *http.Transport {
	return &http.Transport{
		DialContext:           p.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          16,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// Client is an HTTP client on Transport that follows no redirect: the caller gets the 3xx
// response itself. A redirect would be a second destination the caller never named.
func (p *Policy) Client(timeout time.Duration) *http.Client {
	return &http.Client{Transport: p.Transport(), Timeout: timeout, CheckRedirect: refuseRedirects}
}

func refuseRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// IsRefused tells whether err is, or wraps, a refusal by a policy.
func IsRefused(err error) bool {
	var re *RefusedError
	return errors.As(err, &re)
}
