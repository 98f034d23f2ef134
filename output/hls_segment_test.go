package output_test

import (
	"slices"
	"testing"
	"time"

	"mediapush/output"
)

// The segment length reaches ffmpeg as seconds, the default when none is given.
func TestHLSSegmentLength(t *testing.T) {
	for segment, want := range map[time.Duration]string{0: "2", 4 * time.Second: "4", 1500 * time.Millisecond: "1.5", 10 * time.Second: "10"} {
		args := output.HLS(t.TempDir(), "clip", segment).Args
		i := slices.Index(args, "-hls_time")
		if i < 0 || args[i+1] != want {
			t.Errorf("segment %s: -hls_time %q, want %q", segment, args[i+1], want)
		}
	}
	for _, d := range []time.Duration{output.MinHLSSegment, output.DefaultHLSSegment, output.MaxHLSSegment} {
		if err := output.CheckHLSSegment(d); err != nil {
			t.Errorf("%s: %v", d, err)
		}
	}
	for _, d := range []time.Duration{0, -time.Second, 999 * time.Millisecond, 11 * time.Second} {
		if output.CheckHLSSegment(d) == nil {
			t.Errorf("%s is taken as an HLS segment length", d)
		}
	}
}
