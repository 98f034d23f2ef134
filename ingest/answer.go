package ingest

import (
	"fmt"
	"regexp"
	"strings"
)

var (
	videoRtpmap = regexp.MustCompile(`^a=rtpmap:(\d+) (H264|VP8|VP9)/90000`)
	opusRtpmap  = regexp.MustCompile(`(?m)^a=rtpmap:(\d+) opus/48000`)
)

// withMusicAudio asks the browser for stereo Opus at OpusBitrate: by default it sends mono at
// about 32 kbit/s, which flattens music. The answer's Opus fmtp line carries the request.
func withMusicAudio(sdp string) string {
	m := opusRtpmap.FindStringSubmatch(sdp)
	if m == nil {
		return sdp
	}
	params := fmt.Sprintf("stereo=1;sprop-stereo=1;maxaveragebitrate=%d", OpusBitrate)
	prefix := "a=fmtp:" + m[1] + " "
	lines := strings.Split(sdp, "\r\n")
	for i, l := range lines {
		if strings.HasPrefix(l, prefix) {
			lines[i] = l + ";" + params
			return strings.Join(lines, "\r\n")
		}
	}
	return strings.Replace(sdp, m[0], m[0]+"\r\n"+prefix+params, 1)
}

// withStartBitrate tells the browser's encoder to start at kbps instead of ramping up from
// 300 kbit/s: without it the first seconds of a recording are blurred and short of frames.
// The x-google-* parameters go on the fmtp line of each video codec in the answer.
func withStartBitrate(sdp string, kbps int) string {
	if kbps <= 0 {
		return sdp
	}
	params := fmt.Sprintf("x-google-start-bitrate=%d;x-google-min-bitrate=%d", kbps, kbps/2)
	lines := strings.Split(sdp, "\r\n")
	hasFmtp := map[string]bool{}
	for i, l := range lines {
		var pt string
		if _, err := fmt.Sscanf(l, "a=fmtp:%s", &pt); err == nil && isVideoPT(lines, pt) {
			lines[i] = l + ";" + params
			hasFmtp[pt] = true
		}
	}
	out := make([]string, 0, len(lines)+4)
	for _, l := range lines {
		out = append(out, l)
		if m := videoRtpmap.FindStringSubmatch(l); m != nil && !hasFmtp[m[1]] {
			out = append(out, "a=fmtp:"+m[1]+" "+params)
		}
	}
	return strings.Join(out, "\r\n")
}

func isVideoPT(lines []string, pt string) bool {
	for _, l := range lines {
		if m := videoRtpmap.FindStringSubmatch(l); m != nil && m[1] == pt {
			return true
		}
	}
	return false
}
