package output

import (
	"fmt"
	"net/url"
	"strings"
)

// rwTimeout makes ffmpeg give up on an RTMP server that stops taking data, so that the push
// starts again instead of hanging: 10 s, in microseconds.
const rwTimeout = "10000000"

// RTMP pushes to an rtmp:// or rtmps:// URL as FLV: video copied (H264), audio AAC, as every
// RTMP ingest (YouTube, Twitch, Ant Media, nginx) expects. It starts again whenever the
// connection breaks.
func RTMP(target string) (Spec, error) {
	if err := CheckRTMP(target); err != nil {
		return Spec{}, err
	}
	return Spec{
		Name:    "rtmp " + Redact(target),
		Target:  target,
		Restart: true,
		Args: []string{
			"-map", "0:v:0", "-map", "0:a:0?", "-c:v", "copy", "-c:a", "aac", "-b:a", "128k", "-ar", "44100",
			"-rw_timeout", rwTimeout, "-f", "flv", target,
		},
	}, nil
}

// CheckRTMP accepts absolute rtmp:// and rtmps:// URLs with a host and a path.
func CheckRTMP(target string) error {
	u, err := url.Parse(target)
	switch {
	case err != nil || (u.Scheme != "rtmp" && u.Scheme != "rtmps"):
		return fmt.Errorf("rtmpUrl %q is not an rtmp:// or rtmps:// URL", Redact(target))
	case u.Host == "":
		return fmt.Errorf("rtmpUrl %q names no host", Redact(target))
	case strings.Trim(u.Path, "/") == "":
		return fmt.Errorf("rtmpUrl %q names no application and stream", Redact(target))
	}
	return nil
}

// Redact hides an RTMP URL's stream key (its last path element) and any credentials: they
// are secrets that must not reach logs or API answers.
func Redact(target string) string {
	u, err := url.Parse(target)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User = nil
	u.RawQuery = ""
	if i := strings.LastIndex(u.Path, "/"); i > 0 && i < len(u.Path)-1 {
		u.Path = u.Path[:i+1] + "****"
		u.RawPath = u.Path // as it is: String would escape the stars
	}
	return u.String()
}
