// Package ffmpeg starts ffmpeg and ffprobe. Every run of either in mediapush goes through
// Command, so that each gets the minimal environment of package childenv and none of
// mediapush's secrets.
package ffmpeg

import (
	"context"
	"os/exec"

	"mediapush/internal/childenv"
)

// The tools, as found on PATH.
const (
	FFmpeg  = "ffmpeg"
	FFprobe = "ffprobe"
)

// Command is exec.CommandContext for tool (FFmpeg, FFprobe or a path to either) with the
// minimal environment. Cancelling ctx kills the tool.
func Command(ctx context.Context, tool string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, tool, args...)
	cmd.Env = childenv.Minimal()
	return cmd
}
