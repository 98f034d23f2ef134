package controller

import (
	"bytes"
	"regexp"
	"strings"
)

// mapURI is the URI attribute of an EXT-X-MAP tag (the fMP4 init segment).
var mapURI = regexp.MustCompile(`URI="([^"]*)"`)

// signPlaylist appends sign(name)'s query to every segment URI of an HLS playlist that names a
// file beside it. Other URIs (absolute, with a path or already with a query) are left alone.
func signPlaylist(playlist []byte, sign func(name string) string) []byte {
	lines := bytes.Split(playlist, []byte("\n"))
	signName := func(uri string) string {
		if uri == "" || strings.ContainsAny(uri, "/?:#") {
			return uri
		}
		return uri + "?" + sign(uri)
	}
	for i, line := range lines {
		text := strings.TrimRight(string(line), "\r")
		switch {
		case strings.HasPrefix(text, "#EXT-X-MAP:"):
			lines[i] = []byte(mapURI.ReplaceAllStringFunc(text, func(attr string) string {
				return `URI="` + signName(mapURI.FindStringSubmatch(attr)[1]) + `"`
			}))
		case text != "" && !strings.HasPrefix(text, "#"):
			lines[i] = []byte(signName(text))
		}
	}
	return bytes.Join(lines, []byte("\n"))
}
