// Package redact hides credentials in text that leaves the process: failure reasons, catalog
// entries, events and logs. Page URLs carry tokens in their query (a room recording's play
// token, a layout page's access key), and a reason that quotes the URL would hand them out.
package redact

import "regexp"

// Mask replaces a hidden value.
const Mask = "****"

var (
	// secretParam is a parameter whose value is a credential: in a query, a fragment
	// (#access_token=…) or free text. Any name ending in "token" counts (id_token, csrftoken).
	secretParam = regexp.MustCompile(`(?i)((?:^|[^a-z0-9])(?:[a-z0-9_-]*token|jwt|auth|authorization|secret|signature|password|pass|key|apikey|api_key|sig)=)[^&#:\s"'<>]*`)
	// jwtLike is a JSON Web Token anywhere in the text: three base64url parts, the first a JSON
	// object ("eyJ" is how "{\"" encodes).
	jwtLike = regexp.MustCompile(`eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*`)
	// userinfo is the user:password@ part of a URL.
	userinfo = regexp.MustCompile(`(?i)([a-z][a-z0-9+.-]*://)[^/@\s"'<>]+@`)
)

// Text hides credential query values, JWTs and URL user info in s.
func Text(s string) string {
	s = secretParam.ReplaceAllString(s, "${1}"+Mask)
	s = jwtLike.ReplaceAllString(s, Mask)
	return userinfo.ReplaceAllString(s, "${1}"+Mask+"@")
}
