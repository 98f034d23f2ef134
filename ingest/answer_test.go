package ingest

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// chromiumOffer is the offer of a Chromium tab capture: Opus first, then VP8, VP9 and H264 with
// their retransmission codecs.
const chromiumOffer = "v=0\r\n" +
	"o=- 7031276093431329516 2 IN IP4 127.0.0.1\r\n" +
	"s=-\r\n" +
	"t=0 0\r\n" +
	"a=group:BUNDLE 0 1\r\n" +
	"a=extmap-allow-mixed\r\n" +
	"a=msid-semantic: WMS 1b0f3b4e-3b1c-4d8e-9c34-0c1d4b0a7f11\r\n" +
	"m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\n" +
	"c=IN IP4 0.0.0.0\r\n" +
	"a=rtcp:9 IN IP4 0.0.0.0\r\n" +
	"a=ice-ufrag:Qx3v\r\n" +
	"a=ice-pwd:9i0yqkFv0zF3u2Tqk1o7yS7d\r\n" +
	"a=ice-options:trickle\r\n" +
	"a=fingerprint:sha-256 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB:4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF\r\n" +
	"a=setup:actpass\r\n" +
	"a=mid:0\r\n" +
	"a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n" +
	"a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n" +
	"a=sendonly\r\n" +
	"a=msid:1b0f3b4e-3b1c-4d8e-9c34-0c1d4b0a7f11 5d1c1a2b-5a6f-4f0e-8f41-3a4c2f1e0d9a\r\n" +
	"a=rtcp-mux\r\n" +
	"a=rtpmap:111 opus/48000/2\r\n" +
	"a=rtcp-fb:111 transport-cc\r\n" +
	"a=fmtp:111 minptime=10;useinbandfec=1\r\n" +
	"a=rtpmap:63 red/48000/2\r\n" +
	"a=fmtp:63 111/111\r\n" +
	"a=rtpmap:9 G722/8000\r\n" +
	"a=rtpmap:0 PCMU/8000\r\n" +
	"a=rtpmap:8 PCMA/8000\r\n" +
	"a=rtpmap:13 CN/8000\r\n" +
	"a=rtpmap:110 telephone-event/48000\r\n" +
	"a=rtpmap:126 telephone-event/8000\r\n" +
	"a=ssrc:2719863321 cname:Yd6bqQmG0wJ8c5Ub\r\n" +
	"m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99 102 103 104 105 106 107\r\n" +
	"c=IN IP4 0.0.0.0\r\n" +
	"a=rtcp:9 IN IP4 0.0.0.0\r\n" +
	"a=ice-ufrag:Qx3v\r\n" +
	"a=ice-pwd:9i0yqkFv0zF3u2Tqk1o7yS7d\r\n" +
	"a=ice-options:trickle\r\n" +
	"a=fingerprint:sha-256 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB:4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF\r\n" +
	"a=setup:actpass\r\n" +
	"a=mid:1\r\n" +
	"a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n" +
	"a=sendonly\r\n" +
	"a=msid:1b0f3b4e-3b1c-4d8e-9c34-0c1d4b0a7f11 0e6f4c5a-9b8d-4f2a-a1b3-7c6d5e4f3a2b\r\n" +
	"a=rtcp-mux\r\n" +
	"a=rtcp-rsize\r\n" +
	"a=rtpmap:96 VP8/90000\r\n" +
	"a=rtcp-fb:96 goog-remb\r\n" +
	"a=rtcp-fb:96 transport-cc\r\n" +
	"a=rtcp-fb:96 ccm fir\r\n" +
	"a=rtcp-fb:96 nack\r\n" +
	"a=rtcp-fb:96 nack pli\r\n" +
	"a=rtpmap:97 rtx/90000\r\n" +
	"a=fmtp:97 apt=96\r\n" +
	"a=rtpmap:98 VP9/90000\r\n" +
	"a=rtcp-fb:98 goog-remb\r\n" +
	"a=rtcp-fb:98 transport-cc\r\n" +
	"a=rtcp-fb:98 ccm fir\r\n" +
	"a=rtcp-fb:98 nack\r\n" +
	"a=rtcp-fb:98 nack pli\r\n" +
	"a=fmtp:98 profile-id=0\r\n" +
	"a=rtpmap:99 rtx/90000\r\n" +
	"a=fmtp:99 apt=98\r\n" +
	"a=rtpmap:102 H264/90000\r\n" +
	"a=rtcp-fb:102 goog-remb\r\n" +
	"a=rtcp-fb:102 transport-cc\r\n" +
	"a=rtcp-fb:102 ccm fir\r\n" +
	"a=rtcp-fb:102 nack\r\n" +
	"a=rtcp-fb:102 nack pli\r\n" +
	"a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f\r\n" +
	"a=rtpmap:103 rtx/90000\r\n" +
	"a=fmtp:103 apt=102\r\n" +
	"a=rtpmap:104 H264/90000\r\n" +
	"a=rtcp-fb:104 goog-remb\r\n" +
	"a=rtcp-fb:104 transport-cc\r\n" +
	"a=rtcp-fb:104 ccm fir\r\n" +
	"a=rtcp-fb:104 nack\r\n" +
	"a=rtcp-fb:104 nack pli\r\n" +
	"a=fmtp:104 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n" +
	"a=rtpmap:105 rtx/90000\r\n" +
	"a=fmtp:105 apt=104\r\n" +
	"a=rtpmap:106 H264/90000\r\n" +
	"a=rtcp-fb:106 goog-remb\r\n" +
	"a=rtcp-fb:106 transport-cc\r\n" +
	"a=rtcp-fb:106 ccm fir\r\n" +
	"a=rtcp-fb:106 nack\r\n" +
	"a=rtcp-fb:106 nack pli\r\n" +
	"a=fmtp:106 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f\r\n" +
	"a=rtpmap:107 rtx/90000\r\n" +
	"a=fmtp:107 apt=106\r\n" +
	"a=ssrc-group:FID 1486205301 2915380321\r\n" +
	"a=ssrc:1486205301 cname:Yd6bqQmG0wJ8c5Ub\r\n" +
	"a=ssrc:2915380321 cname:Yd6bqQmG0wJ8c5Ub\r\n"

// ingestAnswer is the answer the ingest's own WebRTC stack gives to offer, ICE gathered (on
// loopback), as the session sends it before editing.
func ingestAnswer(t *testing.T, offer string) string {
	t.Helper()
	api, err := newAPI()
	if err != nil {
		t.Fatal(err)
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		t.Fatal(err)
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	return pc.LocalDescription().SDP
}

// The answer the browser gets asks for stereo Opus at DefaultOpusBitrate and starts every video codec at
// the configured bitrate, on the codecs' own fmtp lines, exactly as the answer was edited when
// these were line edits with regular expressions.
func TestAnswerEdits(t *testing.T) {
	answer := ingestAnswer(t, chromiumOffer)
	got := withMusicAudio(withStartBitrate(answer, 6000), 0)
	if want := lineEditedMusicAudio(lineEditedStartBitrate(answer, 6000)); got != want {
		t.Fatalf("edited answer differs from the line edits:\n%s\nwant:\n%s", got, want)
	}
	fmtp := map[string]string{}
	var d sdp.SessionDescription
	if err := d.UnmarshalString(got); err != nil {
		t.Fatalf("the edited answer does not parse: %v", err)
	}
	for _, m := range d.MediaDescriptions {
		for _, a := range m.Attributes {
			if a.Key == "fmtp" {
				pt, params, _ := strings.Cut(a.Value, " ")
				fmtp[pt] = params
			}
		}
	}
	opus := fmt.Sprintf("stereo=1;sprop-stereo=1;maxaveragebitrate=%d", DefaultOpusBitrate)
	video := "x-google-start-bitrate=6000;x-google-min-bitrate=3000"
	for pt, want := range map[string]string{"111": opus, "96": video, "98": video, "102": video, "104": video, "106": video} {
		if !strings.HasSuffix(fmtp[pt], want) {
			t.Errorf("fmtp of payload type %s is %q, want it to end with %q", pt, fmtp[pt], want)
		}
	}
	if withStartBitrate(answer, 0) != answer {
		t.Error("a start bitrate of 0 changed the answer")
	}
	if strings.Contains(fmtp["97"]+fmtp["99"], "x-google") {
		t.Errorf("retransmission codecs got the video parameters: %q %q", fmtp["97"], fmtp["99"])
	}
}

// A video-only answer gets no Opus line, and an answer that does not parse is left alone.
func TestAnswerEditsWithoutAudio(t *testing.T) {
	videoOnly := chromiumOffer[:strings.Index(chromiumOffer, "m=audio")] + chromiumOffer[strings.Index(chromiumOffer, "m=video"):]
	videoOnly = strings.Replace(videoOnly, "a=group:BUNDLE 0 1", "a=group:BUNDLE 1", 1)
	answer := ingestAnswer(t, videoOnly)
	if got := withMusicAudio(answer, 0); got != answer {
		t.Errorf("an answer without audio was changed:\n%s", got)
	}
	if got := withMusicAudio(withStartBitrate(answer, 3000), 0); got != lineEditedMusicAudio(lineEditedStartBitrate(answer, 3000)) {
		t.Errorf("edited answer differs from the line edits:\n%s", got)
	}
	for _, bad := range []string{"", "not sdp", "v=0\r\na=rtpmap:111 opus/48000/2\r\n"} {
		if got := withMusicAudio(withStartBitrate(bad, 3000), 0); got != bad {
			t.Errorf("%q became %q", bad, got)
		}
	}
}

// The answer edits never panic, and leave an answer that parses as one that parses, with every
// Opus and video codec carrying its parameters.
func FuzzAnswerEdits(f *testing.F) {
	f.Add(chromiumOffer, 6000)
	f.Add("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n", 1)
	f.Add("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111\r\n", 0)
	f.Add("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\na=rtpmap:x opus/48000\r\na=rtpmap: VP8/90000\r\na=fmtp:\r\n", -5)
	f.Add("v=0\r\nm=video 9 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n", 100)
	f.Add("v=0\r\n", 3000)
	f.Add("", 3000)
	f.Fuzz(func(t *testing.T, answer string, kbps int) {
		got := withMusicAudio(withStartBitrate(answer, kbps), 0)
		var in, out sdp.SessionDescription
		if in.UnmarshalString(answer) != nil {
			if got != answer {
				t.Fatalf("an answer that does not parse was changed to %q", got)
			}
			return
		}
		if err := out.UnmarshalString(got); err != nil {
			t.Fatalf("the edited answer %q does not parse: %v", got, err)
		}
		if len(out.MediaDescriptions) != len(in.MediaDescriptions) {
			t.Fatalf("%d media sections became %d", len(in.MediaDescriptions), len(out.MediaDescriptions))
		}
		if kbps <= 0 {
			return
		}
		params := fmt.Sprintf("x-google-start-bitrate=%d;", kbps)
		for _, m := range out.MediaDescriptions {
			for _, pt := range rtpmapPayloads(m, isVideo) {
				if !slices.ContainsFunc(m.Attributes, func(a sdp.Attribute) bool {
					return a.Key == "fmtp" && strings.HasPrefix(a.Value, pt+" ") && strings.Contains(a.Value, params)
				}) {
					t.Fatalf("video payload type %s has no start bitrate in %q", pt, got)
				}
			}
		}
	})
}

// The answer edits as regular expressions over lines, as they were first written: the reference
// the SDP edits must match on the answers the ingest gives.
var (
	lineVideoRtpmap = regexp.MustCompile(`^a=rtpmap:(\d+) (H264|VP8|VP9)/90000`)
	lineOpusRtpmap  = regexp.MustCompile(`(?m)^a=rtpmap:(\d+) opus/48000`)
)

func lineEditedMusicAudio(sdp string) string {
	m := lineOpusRtpmap.FindStringSubmatch(sdp)
	if m == nil {
		return sdp
	}
	params := fmt.Sprintf("stereo=1;sprop-stereo=1;maxaveragebitrate=%d", DefaultOpusBitrate)
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

func lineEditedStartBitrate(sdp string, kbps int) string {
	if kbps <= 0 {
		return sdp
	}
	params := fmt.Sprintf("x-google-start-bitrate=%d;x-google-min-bitrate=%d", kbps, kbps/2)
	lines := strings.Split(sdp, "\r\n")
	isVideoPT := func(pt string) bool {
		for _, l := range lines {
			if m := lineVideoRtpmap.FindStringSubmatch(l); m != nil && m[1] == pt {
				return true
			}
		}
		return false
	}
	hasFmtp := map[string]bool{}
	for i, l := range lines {
		var pt string
		if _, err := fmt.Sscanf(l, "a=fmtp:%s", &pt); err == nil && isVideoPT(pt) {
			lines[i] = l + ";" + params
			hasFmtp[pt] = true
		}
	}
	out := make([]string, 0, len(lines)+4)
	for _, l := range lines {
		out = append(out, l)
		if m := lineVideoRtpmap.FindStringSubmatch(l); m != nil && !hasFmtp[m[1]] {
			out = append(out, "a=fmtp:"+m[1]+" "+params)
		}
	}
	return strings.Join(out, "\r\n")
}

// The answer asks for the session's Opus bitrate, once: the codec the ingest offers carries
// none of its own.
func TestAnswerAsksForTheAudioBitrate(t *testing.T) {
	answer := ingestAnswer(t, chromiumOffer)
	for bps, want := range map[int]string{0: "maxaveragebitrate=128000", 64000: "maxaveragebitrate=64000", 510000: "maxaveragebitrate=510000"} {
		got := withMusicAudio(answer, bps)
		if n := strings.Count(got, "maxaveragebitrate="); n != 1 || !strings.Contains(got, want) {
			t.Errorf("%d bit/s: the answer has %d maxaveragebitrate, want one %s:\n%s", bps, n, want, got)
		}
	}
	if CheckOpusBitrate(MinOpusBitrate) != nil || CheckOpusBitrate(MaxOpusBitrate) != nil ||
		CheckOpusBitrate(MinOpusBitrate-1) == nil || CheckOpusBitrate(MaxOpusBitrate+1) == nil {
		t.Error("CheckOpusBitrate takes other than 6 to 510 kbit/s")
	}
}
