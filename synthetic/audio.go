package synthetic

import (
	"errors"
	"io"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"
	"github.com/pion/webrtc/v4/pkg/media/oggreader"
)

// opusFrame is the duration of each Opus packet in the file (-frame_duration 20).
const opusFrame = 20 * time.Millisecond

// sendAudio plays the Ogg Opus file in real time until the participant stops, one page (one
// Opus packet, see makeAudio) every 20 ms.
func (p *Participant) sendAudio(track *webrtc.TrackLocalStaticSample, path string) error {
	tick := time.NewTicker(opusFrame)
	defer tick.Stop()
	w := writeLogger{log: p.log, kind: "audio"}
	return p.loopFile(path, func(r io.Reader) error {
		ogg, _, err := oggreader.NewWith(r) // reads the OpusHead page
		if err != nil {
			return err
		}
		sent := 0
		for {
			payload, page, err := ogg.ParseNextPage()
			if errors.Is(err, io.EOF) && sent == 0 {
				return errors.New("no sound in the Ogg file")
			}
			if err != nil {
				return err
			}
			if _, isHeader := page.HeaderType(payload); isHeader {
				continue // OpusTags: metadata, not sound
			}
			if !p.wait(tick) {
				return errStopped
			}
			w.check(track.WriteSample(media.Sample{Data: payload, Duration: opusFrame}))
			sent++
		}
	})
}
