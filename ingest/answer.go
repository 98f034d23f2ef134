package ingest

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pion/sdp/v3"
)

// withMusicAudio asks the browser for stereo Opus at bps (bit/s; 0: DefaultOpusBitrate): by
// default it sends mono at about 32 kbit/s, which flattens music. The answer's Opus fmtp line
// carries the request.
func withMusicAudio(answer string, bps int) string {
	if bps <= 0 {
		bps = DefaultOpusBitrate
	}
	params := fmt.Sprintf("stereo=1;sprop-stereo=1;maxaveragebitrate=%d", bps)
	return editAnswer(answer, func(d *sdp.SessionDescription) bool {
		for _, m := range d.MediaDescriptions {
			for _, pt := range rtpmapPayloads(m, isOpus) {
				addFmtp(m, pt, params)
				return true // the first Opus codec is the one the browser sends
			}
		}
		return false
	})
}

// withStartBitrate tells the browser's encoder to start at kbps instead of ramping up from
// 300 kbit/s: without it the first seconds of a recording are blurred and short of frames.
// The x-google-* parameters go on the fmtp line of each video codec in the answer.
func withStartBitrate(answer string, kbps int) string {
	if kbps <= 0 {
		return answer
	}
	params := fmt.Sprintf("x-google-start-bitrate=%d;x-google-min-bitrate=%d", kbps, kbps/2)
	return editAnswer(answer, func(d *sdp.SessionDescription) bool {
		edited := false
		for _, m := range d.MediaDescriptions {
			for _, pt := range rtpmapPayloads(m, isVideo) {
				addFmtp(m, pt, params)
				edited = true
			}
		}
		return edited
	})
}

// editAnswer applies edit to an answer, which stays as it is when edit reports no change or
// when it does not parse (pion's own answers always do): the browser would refuse a broken
// answer either way, with its own words.
func editAnswer(answer string, edit func(*sdp.SessionDescription) bool) string {
	var d sdp.SessionDescription
	if err := d.UnmarshalString(answer); err != nil || !edit(&d) {
		return answer
	}
	out, err := d.Marshal()
	if err != nil {
		return answer
	}
	return string(out)
}

func isOpus(encoding string) bool { return strings.HasPrefix(encoding, "opus/48000") }

func isVideo(encoding string) bool {
	name, rest, _ := strings.Cut(encoding, "/")
	return (name == "H264" || name == "VP8" || name == "VP9") && strings.HasPrefix(rest, "90000")
}

// rtpmapPayloads lists the payload types of m's rtpmap lines ("96 VP8/90000") whose encoding
// matches, in order.
func rtpmapPayloads(m *sdp.MediaDescription, match func(encoding string) bool) []string {
	var pts []string
	for _, a := range m.Attributes {
		if a.Key != "rtpmap" {
			continue
		}
		pt, encoding, ok := strings.Cut(a.Value, " ")
		if ok && isPayloadType(pt) && match(encoding) && !slices.Contains(pts, pt) {
			pts = append(pts, pt)
		}
	}
	return pts
}

func isPayloadType(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// addFmtp appends params to every fmtp line of payload type pt in m, or adds a line of its own
// right after the codec's rtpmap when it has none.
func addFmtp(m *sdp.MediaDescription, pt, params string) {
	found := false
	for i, a := range m.Attributes {
		if a.Key == "fmtp" && strings.HasPrefix(a.Value, pt+" ") {
			m.Attributes[i].Value += ";" + params
			found = true
		}
	}
	if found {
		return
	}
	for i, a := range m.Attributes {
		if a.Key == "rtpmap" && strings.HasPrefix(a.Value, pt+" ") {
			m.Attributes = slices.Insert(m.Attributes, i+1, sdp.NewAttribute("fmtp", pt+" "+params))
			return
		}
	}
}
