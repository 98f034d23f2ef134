package remix

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"mediapush/internal/ffmpeg"
)

// ffmpegRuns counts the ffmpeg processes started, for tests that check what a resumed
// render did again.
var ffmpegRuns func(args []string)

// runFFmpeg runs ffmpeg with args at low priority, its standard output going to stdout
// (nil: discarded). A failure says what ffmpeg logged last; a cancelled ctx is the error.
func runFFmpeg(ctx context.Context, stdout io.Writer, args ...string) error {
	args = append([]string{"-nostdin", "-hide_banner", "-nostats", "-v", "error"}, args...)
	if ffmpegRuns != nil {
		ffmpegRuns(args)
	}
	cmd := ffmpeg.Command(ctx, ffmpeg.FFmpeg, args...)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = stdout, &stderr
	// A remix is background work, like the quality measurements: it gives way to the sessions.
	if err := ffmpeg.RunLowered(ctx, cmd); err != nil {
		if ctx.Err() != nil {
			return err // ctx's own error
		}
		return fmt.Errorf("ffmpeg: %w: %s", err, ffmpeg.LogTail(stderr.String()))
	}
	return nil
}
