// Package destination decides where mediapush may connect on a caller's behalf, and enforces
// it: the pages it records and everything they load, WHIP and RTMP push targets, the webhook
// receiver. (The S3 endpoint is the operator's own configuration and is not judged.)
//
// By default every public address is allowed and these are refused: link-local and cloud
// metadata addresses (169.254.0.0/16, fe80::/10, fd00:ec2::254, 100.100.100.200, and names
// such as metadata.google.internal), loopback other than mediapush's own listeners, private
// ranges (10/8, 172.16/12, 192.168/16, fc00::/7), shared CGNAT space (100.64/10),
// unspecified, multicast, broadcast and reserved addresses, and IPv6 forms that carry one of
// those (IPv4-mapped, IPv4-compatible, NAT64, 6to4). The operator allows more with
// Config.Allow (the serve flag --allow-destination).
//
// Names are judged by what they resolve to, and connections are made to the very addresses
// that were judged (Policy.DialContext resolves, checks, then dials an IP): a name that
// answers a public address to the check and 127.0.0.1 to the connection (DNS rebinding) has
// no second lookup to exploit. A dialer Control hook would check the same address at the
// same moment but could not honour an allowance given by name.
//
// # Inside Chromium
//
// A page loads subresources, follows redirects and navigates on its own, so checking the
// start URL is not enough. Chromium is started with --proxy-server pointing at a Proxy of
// this package (one per node, on a loopback port) and --proxy-bypass-list=<-loopback>, which
// removes Chromium's implicit bypass of loopback: every HTTP request, redirect, navigation,
// WebSocket and the https tunnel of every TLS connection reaches the proxy with its host
// name, and the proxy resolves and dials with the policy. Chromium then resolves nothing
// itself, so the policy's resolver is the only one.
//
// The alternatives fall short. CDP Fetch interception sees requests of the tab it is enabled
// on, not those of workers, the capture extension or new windows, and stalls every request
// on a round trip through the DevTools connection; it also leaves the connection itself to
// Chromium, after Chromium's own DNS lookup, so a rebinding answer wins. --host-resolver-rules
// maps names but cannot express "refuse what resolves to a private address", and is blind to
// literal IP addresses.
//
// Not covered: WebRTC. ICE traffic (STUN, DTLS, SRTP over UDP, and TURN over TCP) is not
// proxied, and a page's RTCPeerConnection may send it to any address its JavaScript names. It
// carries no HTTP request a page could aim at an internal service, but it can probe which
// addresses answer. mediapush's own capture is WebRTC to its ingest on loopback, so forcing
// WebRTC through the proxy (disable_non_proxied_udp) would end capture too. QUIC is disabled
// by the browser's base switches, so WebTransport and HTTP/3 do not bypass the proxy.
//
// mediapush's own pages (layouts, test pages, WHEP, the REST calls layout pages make) and its
// ingest stay reachable: the node registers every address it is reached on (Policy.AllowSelf,
// from each request's local address) and its configured base URL.
package destination
