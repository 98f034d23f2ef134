package ffmpeg

import (
	"context"
	"strings"
	"testing"
)

func TestCommandHidesSecretsFromTheTool(t *testing.T) {
	t.Setenv("MEDIAPUSH_WEBHOOK_SECRET", "hook-s3cr3t")
	t.Setenv("MEDIAPUSH_API_TOKEN", "api-s3cr3t")
	// env(1) prints the environment it was started with, as ffmpeg would see it.
	out, err := Command(context.Background(), "env").Output()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "s3cr3t") {
		t.Errorf("the tool saw a secret:\n%s", out)
	}
	if !strings.Contains(string(out), "PATH=") {
		t.Errorf("the tool has no PATH:\n%s", out)
	}
}

func TestCommandRunsFFmpeg(t *testing.T) {
	out, err := Command(context.Background(), FFmpeg, "-hide_banner", "-version").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "ffmpeg version") {
		t.Fatalf("ffmpeg -version: %v: %s", err, out)
	}
}
