package worker

import (
	"strings"
	"testing"
	"time"

	"mediapush/ingest"
	"mediapush/output"
)

func TestCaptureDefaultsAndRanges(t *testing.T) {
	c := Capture{}.withDefaults()
	if c.FrameRate != DefaultCaptureFPS || c.AudioBitrate != ingest.DefaultOpusBitrate || c.HLSSegment != output.DefaultHLSSegment || c.VideoBitrate != 0 {
		t.Errorf("defaults: %+v", c)
	}
	if err := (Capture{}).Check(); err != nil {
		t.Errorf("the defaults are refused: %v", err)
	}
	if err := (Capture{FrameRate: 60, VideoBitrate: MaxVideoBitrate, AudioBitrate: ingest.MaxOpusBitrate, HLSSegment: output.MaxHLSSegment}).Check(); err != nil {
		t.Errorf("the highest figures are refused: %v", err)
	}
	for _, bad := range []struct {
		c    Capture
		want string
	}{
		{Capture{FrameRate: 61}, "frame rate"}, {Capture{FrameRate: -1}, "frame rate"},
		{Capture{VideoBitrate: 50_000}, "video bitrate"}, {Capture{VideoBitrate: 60_000_000}, "video bitrate"},
		{Capture{AudioBitrate: 1000}, "Opus bitrate"}, {Capture{HLSSegment: 20 * time.Second}, "HLS segment"},
	} {
		if err := bad.c.Check(); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%+v: %v, want an error about the %s", bad.c, err, bad.want)
		}
	}
}

func TestCaptureFiguresFollowTheSettings(t *testing.T) {
	c := Capture{}.withDefaults()
	if got := c.videoBitrate(1280, 720); got != videoBitrate(1280, 720) {
		t.Errorf("by the picture's size: %d", got)
	}
	if c.keyframeInterval() != ingest.DefaultKeyframeInterval || c.minFPS(DefaultMinFPS) != DefaultMinFPS {
		t.Errorf("defaults: keyframes every %s, held to %v fps", c.keyframeInterval(), c.minFPS(DefaultMinFPS))
	}
	c = Capture{FrameRate: 15, VideoBitrate: 2_500_000, HLSSegment: time.Second}.withDefaults()
	if c.videoBitrate(1280, 720) != 2_500_000 {
		t.Errorf("configured video bitrate: %d", c.videoBitrate(1280, 720))
	}
	// One keyframe a segment at least, so that 1 s segments last 1 s.
	if c.keyframeInterval() != time.Second {
		t.Errorf("1 s segments: keyframes every %s", c.keyframeInterval())
	}
	// A capture at 15 fps is not held to the 29 meant for 30.
	if got := c.minFPS(DefaultMinFPS); got != 14.5 {
		t.Errorf("15 fps capture held to %v fps", got)
	}
	if got := c.minFPS(10); got != 10 {
		t.Errorf("a lower configured target is kept: %v", got)
	}
}
