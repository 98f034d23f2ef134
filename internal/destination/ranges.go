package destination

import (
	"net/netip"
	"strings"
)

// refusedRange is a block of addresses refused unless the operator allows it, and why.
type refusedRange struct {
	prefix netip.Prefix
	reason string
}

const (
	reasonMetadata  = "a cloud metadata address"
	reasonLinkLocal = "link-local (where cloud metadata services live)"
	reasonLoopback  = "loopback (this machine)"
	reasonPrivate   = "a private network address"
	reasonCGNAT     = "a shared (CGNAT) address"
	reasonNone      = "unspecified (this host)"
	reasonMulticast = "multicast"
	reasonBroadcast = "broadcast"
	reasonReserved  = "reserved"
)

// refusedRanges are checked in order: the metadata addresses come before the wider blocks
// they sit in, so that the message names the worst of it.
var refusedRanges = func() []refusedRange {
	table := []struct{ cidr, reason string }{
		{"169.254.169.254/32", reasonMetadata}, // AWS, GCP, Azure, OpenStack, Oracle
		{"169.254.170.2/32", reasonMetadata},   // AWS ECS task credentials
		{"fd00:ec2::254/128", reasonMetadata},  // AWS over IPv6
		{"100.100.100.200/32", reasonMetadata}, // Alibaba Cloud
		{"169.254.0.0/16", reasonLinkLocal},
		{"fe80::/10", reasonLinkLocal},
		{"127.0.0.0/8", reasonLoopback},
		{"::1/128", reasonLoopback},
		{"10.0.0.0/8", reasonPrivate},
		{"172.16.0.0/12", reasonPrivate},
		{"192.168.0.0/16", reasonPrivate},
		{"fc00::/7", reasonPrivate},
		{"100.64.0.0/10", reasonCGNAT},
		{"0.0.0.0/8", reasonNone},
		{"::/128", reasonNone},
		{"224.0.0.0/4", reasonMulticast},
		{"ff00::/8", reasonMulticast},
		{"255.255.255.255/32", reasonBroadcast},
		{"240.0.0.0/4", reasonReserved},
	}
	out := make([]refusedRange, len(table))
	for i, r := range table {
		out[i] = refusedRange{netip.MustParsePrefix(r.cidr), r.reason}
	}
	return out
}()

// Prefixes that carry an IPv4 address inside an IPv6 one: a NAT64 gateway or a 6to4 relay
// would take a packet to the IPv4 address, so that is the address to judge.
var (
	nat64Prefix = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour   = netip.MustParsePrefix("2002::/16")
)

// embeddedIPv4 returns the IPv4 address an IPv6 address stands for, if any: IPv4-mapped
// (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d), NAT64 and 6to4.
func embeddedIPv4(a netip.Addr) (netip.Addr, bool) {
	if a.Is4In6() {
		return a.Unmap(), true
	}
	if !a.Is6() {
		return netip.Addr{}, false
	}
	b := a.As16()
	switch {
	case nat64Prefix.Contains(a):
		return netip.AddrFrom4([4]byte(b[12:16])), true
	case sixToFour.Contains(a):
		return netip.AddrFrom4([4]byte(b[2:6])), true
	case b == [16]byte{}:
		return netip.Addr{}, false // ::, judged as itself
	}
	var zero [12]byte
	if [12]byte(b[:12]) == zero && b[12] != 0 { // ::a.b.c.d, long deprecated
		return netip.AddrFrom4([4]byte(b[12:16])), true
	}
	return netip.Addr{}, false
}

// classify names what makes a refused address refused, or "" for a public one.
func classify(a netip.Addr) string {
	a = a.WithZone("")
	if v4, ok := embeddedIPv4(a); ok {
		a = v4
	}
	for _, r := range refusedRanges {
		if r.prefix.Contains(a) {
			return r.reason
		}
	}
	return ""
}

// metadataNames are host names of cloud metadata services, refused before any DNS lookup:
// inside a cloud their resolver answers them with a link-local address.
var metadataNames = map[string]bool{
	"metadata":                     true,
	"metadata.google.internal":     true,
	"metadata.goog":                true,
	"instance-data":                true,
	"instance-data.ec2.internal":   true,
	"metadata.tencentyun.com":      true,
	"metadata.platformequinix.com": true,
	"metadata.azure.internal":      true,
}

// nameReason refuses a host name by what it is, before it is resolved: metadata services and
// localhost, which resolvers keep for this machine whatever DNS says.
func nameReason(host string) string {
	switch {
	case metadataNames[host]:
		return reasonMetadata
	case host == "localhost" || strings.HasSuffix(host, ".localhost"):
		return reasonLoopback
	}
	return ""
}
