package ffmpeg

import (
	"bytes"
	"context"
	"os/exec"
	"strconv"
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

func TestRunLoweredRunsAtBackgroundPriority(t *testing.T) {
	ctx := context.Background()
	var out bytes.Buffer
	// The shell's own niceness, read from inside the child.
	cmd := exec.CommandContext(ctx, "sh", "-c", "sleep 0.2; ps -o ni= -p $$")
	cmd.Stdout = &out
	if err := RunLowered(ctx, cmd); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(out.String()); got != strconv.Itoa(BackgroundNiceness) {
		t.Errorf("niceness %q, want %d", got, BackgroundNiceness)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := RunLowered(cancelled, exec.CommandContext(cancelled, "sleep", "5")); err != context.Canceled {
		t.Errorf("a cancelled run: %v, want context.Canceled", err)
	}
}

func TestLogTail(t *testing.T) {
	if got := LogTail("  a\nb\n"); got != "a; b" {
		t.Errorf("LogTail = %q", got)
	}
	long := strings.Repeat("x", 700) + "end"
	if got := LogTail(long); !strings.HasPrefix(got, "…") || !strings.HasSuffix(got, "end") || len(got) != len("…")+600 {
		t.Errorf("LogTail of a long log: %d bytes", len(got))
	}
}
