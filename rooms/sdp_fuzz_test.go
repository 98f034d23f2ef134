package rooms

import (
	"errors"
	"slices"
	"testing"

	"github.com/pion/sdp/v3"
)

const fuzzOffer = "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" +
	"a=group:BUNDLE 0 1\r\n" +
	"m=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=sendonly\r\n" +
	"a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\na=rtpmap:0 PCMU/8000\r\n" +
	"m=video 9 UDP/TLS/RTP/SAVPF 96 97 102\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\na=sendonly\r\n" +
	"a=rtpmap:96 VP8/90000\r\na=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n" +
	"a=rtpmap:102 H264/90000\r\na=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n"

// An offer is refused with ErrBadOffer or ErrCodec, or it parses and each of its audio and video
// sections proposes a codec the server relays.
func FuzzReadOfferSDP(f *testing.F) {
	f.Add(fuzzOffer)
	f.Add("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 45\r\na=rtpmap:45 AV1/90000\r\n")
	f.Add("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n")
	f.Add("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 RTP/AVP 111\r\na=rtpmap:111\r\na=rtpmap:111 opus\r\n")
	f.Add("v=0\r\n")
	f.Add("")
	f.Add("\x00")
	f.Fuzz(func(t *testing.T, offer string) {
		media, err := readOffer(offer)
		if err != nil {
			if media != nil || !(errors.Is(err, ErrBadOffer) || errors.Is(err, ErrCodec)) {
				t.Fatalf("refused with %v and %v: want no media and ErrBadOffer or ErrCodec", media, err)
			}
			return
		}
		var d sdp.SessionDescription
		if err := d.UnmarshalString(offer); err != nil {
			t.Fatalf("accepted an offer that does not parse: %v", err)
		}
		if len(media) == 0 {
			t.Fatal("accepted an offer without media")
		}
		for _, m := range media {
			if m.kind != "audio" && m.kind != "video" {
				t.Fatalf("accepted media of kind %q", m.kind)
			}
			supported := supportedNames(m.kind)
			if !slices.ContainsFunc(m.codecs, func(c string) bool { return slices.Contains(supported, c) }) {
				t.Fatalf("accepted %s proposing %v, none of %v", m.kind, m.codecs, supported)
			}
		}
	})
}
