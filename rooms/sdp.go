package rooms

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pion/sdp/v3"
)

// offeredMedia is what one media section of an offer proposes.
type offeredMedia struct {
	kind   string // audio or video
	codecs []string
	sends  bool // the section sends media: not recvonly, inactive or rejected
}

// readOffer checks that an offer parses and that each of its audio and video sections
// proposes a codec the server relays. The errors name what was offered.
func readOffer(offer string) ([]offeredMedia, error) {
	var d sdp.SessionDescription
	if err := d.UnmarshalString(offer); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadOffer, err)
	}
	var out []offeredMedia
	for _, m := range d.MediaDescriptions {
		kind := m.MediaName.Media
		if kind != "audio" && kind != "video" {
			continue
		}
		om := offeredMedia{kind: kind, sends: m.MediaName.Port.Value != 0}
		for _, a := range m.Attributes {
			if a.Key == "recvonly" || a.Key == "inactive" {
				om.sends = false
			}
			if a.Key != "rtpmap" {
				continue
			}
			// "96 VP8/90000"
			if _, enc, ok := strings.Cut(a.Value, " "); ok {
				name, _, _ := strings.Cut(enc, "/")
				if !slices.Contains(om.codecs, strings.ToUpper(name)) {
					om.codecs = append(om.codecs, strings.ToUpper(name))
				}
			}
		}
		supported := supportedNames(kind)
		if !slices.ContainsFunc(om.codecs, func(c string) bool { return slices.Contains(supported, c) }) {
			offered := strings.Join(om.codecs, ", ")
			if offered == "" {
				offered = "none"
			}
			return nil, fmt.Errorf("%w: the offer's %s proposes %s; mediapush relays %s",
				ErrCodec, kind, offered, strings.Join(supported, ", "))
		}
		out = append(out, om)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: it has no audio or video section", ErrBadOffer)
	}
	return out, nil
}

func supportedNames(kind string) []string {
	list := audioCodecs
	if kind == "video" {
		list = videoCodecs
	}
	var names []string
	for _, c := range list {
		if n := codecName(c.MimeType); !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return names
}

// codecName is "H264" for "video/H264".
func codecName(mime string) string {
	_, name, _ := strings.Cut(mime, "/")
	return strings.ToUpper(name)
}
