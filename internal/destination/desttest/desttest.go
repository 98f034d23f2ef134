// Package desttest gives tests of the destination policy a dialer that records every
// connection the policy makes and refuses any outside loopback, so that a test shows what was
// dialled without traffic leaving the machine.
package desttest

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
)

// DialLog records connections. With T set, a connection outside loopback also fails the test.
type DialLog struct {
	T testing.TB

	mu    sync.Mutex
	addrs []string
}

// Dial is a DialContext: it records address and connects only to loopback.
func (d *DialLog) Dial(ctx context.Context, network, address string) (net.Conn, error) {
	d.mu.Lock()
	d.addrs = append(d.addrs, address)
	d.mu.Unlock()
	if ap, err := netip.ParseAddrPort(address); err != nil || !ap.Addr().IsLoopback() {
		if d.T != nil {
			d.T.Errorf("a connection to %s, outside loopback", address)
		}
		return nil, errors.New("tests connect only to loopback")
	}
	var dialer net.Dialer
	return dialer.DialContext(ctx, network, address)
}

// To lists the connections made to addresses that start with prefix.
func (d *DialLog) To(prefix string) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for _, a := range d.addrs {
		if strings.HasPrefix(a, prefix) {
			out = append(out, a)
		}
	}
	return out
}
