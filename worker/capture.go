package worker

import (
	"errors"
	"fmt"
	"time"

	"mediapush/ingest"
	"mediapush/output"
)

// Capture figures: the default frame rate and the ranges a setting may take.
const (
	// DefaultCaptureFPS is the frame rate a session asks its page's capture for unless
	// configured otherwise: what a recording's frame rate is judged against.
	DefaultCaptureFPS = 30
	MinCaptureFPS     = 1
	MaxCaptureFPS     = 60
	// MinVideoBitrate and MaxVideoBitrate bound a configured video bitrate (bit/s).
	MinVideoBitrate = 100_000
	MaxVideoBitrate = 50_000_000
)

// Capture is how every session captures its page and cuts its HLS recording. Zero fields are
// the defaults.
type Capture struct {
	// FrameRate is the frames a second the capture is asked for. Default DefaultCaptureFPS.
	FrameRate int
	// VideoBitrate (bit/s) is the most the video encoder sends, and where it starts; 0: by the
	// picture's size (4.5 bit a pixel a second, 1 to 8 Mbit/s).
	VideoBitrate int
	// AudioBitrate (bit/s) is the Opus bitrate. Default ingest.DefaultOpusBitrate.
	AudioBitrate int
	// HLSSegment is the length of an HLS recording's segments. Default output.DefaultHLSSegment.
	HLSSegment time.Duration
}

// withDefaults fills the zero fields.
func (c Capture) withDefaults() Capture {
	if c.FrameRate == 0 {
		c.FrameRate = DefaultCaptureFPS
	}
	if c.AudioBitrate == 0 {
		c.AudioBitrate = ingest.DefaultOpusBitrate
	}
	if c.HLSSegment == 0 {
		c.HLSSegment = output.DefaultHLSSegment
	}
	return c
}

// Check says what is wrong with c, its zero fields taken as the defaults.
func (c Capture) Check() error {
	c = c.withDefaults()
	var errs []error
	if err := CheckCaptureFPS(c.FrameRate); err != nil {
		errs = append(errs, err)
	}
	if err := CheckVideoBitrate(c.VideoBitrate); c.VideoBitrate != 0 && err != nil {
		errs = append(errs, err)
	}
	if err := ingest.CheckOpusBitrate(c.AudioBitrate); err != nil {
		errs = append(errs, err)
	}
	if err := output.CheckHLSSegment(c.HLSSegment); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// CheckCaptureFPS says what is wrong with a capture frame rate, if anything.
func CheckCaptureFPS(fps int) error {
	if fps < MinCaptureFPS || fps > MaxCaptureFPS {
		return fmt.Errorf("a capture frame rate is %d to %d frames a second, not %d", MinCaptureFPS, MaxCaptureFPS, fps)
	}
	return nil
}

// CheckVideoBitrate says what is wrong with a configured video bitrate, if anything.
func CheckVideoBitrate(bps int) error {
	if bps < MinVideoBitrate || bps > MaxVideoBitrate {
		return fmt.Errorf("a video bitrate is %d to %d bit/s, not %d", MinVideoBitrate, MaxVideoBitrate, bps)
	}
	return nil
}

// videoBitrate is the video bitrate of a w x h capture: the configured one, else by its size.
func (c Capture) videoBitrate(w, h int) int {
	if c.VideoBitrate > 0 {
		return c.VideoBitrate
	}
	return videoBitrate(w, h)
}

// keyframeInterval is how often the ingest asks for a keyframe: at least once a segment, so
// that HLS segments keep their length (a segment ends on a keyframe).
func (c Capture) keyframeInterval() time.Duration {
	return min(ingest.DefaultKeyframeInterval, c.HLSSegment)
}

// minFPS is the delivered frame rate a running session is held to: the configured one, at
// most the share DefaultMinFPS is of DefaultCaptureFPS of the frame rate captured, so that a
// capture at 15 frames a second is not held to 29.
func (c Capture) minFPS(configured float64) float64 {
	return min(configured, float64(c.FrameRate)*DefaultMinFPS/DefaultCaptureFPS)
}
