// Package childenv builds the environment of the programs mediapush starts (Chromium, ffmpeg,
// ffprobe). They get only the variables they need to run, find fonts and format text, never
// the rest of mediapush's environment, which holds its secrets (MEDIAPUSH_API_TOKEN,
// MEDIAPUSH_TOKEN_SECRET, MEDIAPUSH_S3_SECRET_KEY, MEDIAPUSH_WEBHOOK_SECRET, …): a child can
// be made to run code (a page exploiting Chromium, a crafted media file exploiting ffmpeg),
// and /proc/<pid>/environ of a child is readable by anything running as the same user.
package childenv

import (
	"os"
	"strings"
)

// passed are the variables a child inherits, by exact name. Proxy variables are left out on
// purpose: their URLs may carry credentials, and Chromium's proxy is mediapush's to set.
var passed = map[string]bool{
	"PATH": true, "HOME": true, "USER": true, "LOGNAME": true,
	"TMPDIR": true,
	"TZ":     true, "LANG": true, "LANGUAGE": true,
	"FONTCONFIG_FILE": true, "FONTCONFIG_PATH": true, "FONTCONFIG_SYSROOT": true,
	"XDG_CONFIG_HOME": true, "XDG_CACHE_HOME": true, "XDG_DATA_HOME": true, "XDG_DATA_DIRS": true,
	"SSL_CERT_FILE": true, "SSL_CERT_DIR": true,
}

// Passed tells whether a child inherits the variable name.
func Passed(name string) bool {
	return passed[name] || strings.HasPrefix(name, "LC_")
}

// Minimal is the environment of a child: the variables of this process that Passed admits,
// then set, each "NAME=value", which replace inherited ones of the same name.
func Minimal(set ...string) []string {
	replaced := map[string]bool{}
	for _, kv := range set {
		name, _, _ := strings.Cut(kv, "=")
		replaced[name] = true
	}
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if Passed(name) && !replaced[name] {
			env = append(env, kv)
		}
	}
	return append(env, set...)
}
