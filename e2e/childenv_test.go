package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"mediapush/controller"
	"mediapush/internal/procstat"
)

// TestSecretsNeverReachChildProcesses runs a session that records HLS (so an ffmpeg runs) on a
// service configured with every secret, each also in the environment as mediapush serve reads
// it, and reads the environment of Chromium, all of its processes and every ffmpeg.
func TestSecretsNeverReachChildProcesses(t *testing.T) {
	secrets := map[string]string{
		"MEDIAPUSH_API_TOKEN":      "apitoken-5f0c1e77d2a94b18-secret",
		"MEDIAPUSH_TOKEN_SECRET":   "tokensecret-9a7b3d2e61f04c85-secret",
		"MEDIAPUSH_S3_ACCESS_KEY":  "s3access-0b6e4f1d93c2a7e5-secret",
		"MEDIAPUSH_S3_SECRET_KEY":  "s3secret-44e2aa18c9f7d036-secret",
		"MEDIAPUSH_WEBHOOK_SECRET": "webhooksecret-c81f07b5e3a94d2f-secret",
	}
	for k, v := range secrets {
		t.Setenv(k, v)
	}
	hooks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
	}))
	t.Cleanup(hooks.Close)
	s := startService(t, func(c *controller.Config) {
		c.APIToken = secrets["MEDIAPUSH_API_TOKEN"]
		c.Rooms.TokenSecret = []byte(secrets["MEDIAPUSH_TOKEN_SECRET"])
		c.Webhook.URL, c.Webhook.Secret = hooks.URL, []byte(secrets["MEDIAPUSH_WEBHOOK_SECRET"])
	})
	call := func(path string, body any) result {
		j, _ := json.Marshal(body)
		req, _ := http.NewRequest(http.MethodPost, s.base+path, bytes.NewReader(j))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+secrets["MEDIAPUSH_API_TOKEN"])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var r result
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
			t.Fatalf("POST %s: HTTP %d, not a Result: %v", path, resp.StatusCode, err)
		}
		return r
	}
	r := call("/live/rest/v1/media-push/start?streamId=env", map[string]any{
		"url": s.page("test-pattern.html"), "width": 640, "height": 360, "recordType": "mp4,hls"})
	if !r.Success {
		t.Fatalf("start: %s", r.msg())
	}
	defer func() {
		if r := call("/live/rest/v1/media-push/stop/env", nil); !r.Success {
			t.Errorf("stop: %s", r.msg())
		}
	}()

	// The HLS ffmpeg starts once the tracks are known, shortly after the start call answers.
	var chromium, ffmpeg []int
	deadline := time.Now().Add(15 * time.Second)
	for {
		chromium, ffmpeg = nil, nil
		for _, pid := range procstat.Descendants(os.Getpid()) {
			switch cmd := procstat.Cmdline(pid); {
			case strings.HasPrefix(cmd, "ffmpeg "):
				ffmpeg = append(ffmpeg, pid)
			case strings.Contains(cmd, s.data): // every Chromium process names the session's profile
				chromium = append(chromium, pid)
			}
		}
		if len(ffmpeg) > 0 && len(chromium) >= 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if len(chromium) < 3 || len(ffmpeg) == 0 {
		t.Fatalf("found %d Chromium processes and %d ffmpeg; want the browser, its zygote and renderer, and the HLS ffmpeg",
			len(chromium), len(ffmpeg))
	}
	read := 0
	for _, pid := range append(chromium, ffmpeg...) {
		env := procstat.Environ(pid)
		if env == nil {
			continue // exited meanwhile
		}
		read++
		for _, kv := range env {
			for name, secret := range secrets {
				if strings.Contains(kv, secret) {
					t.Errorf("%s reached process %d (%.80s)", name, pid, procstat.Cmdline(pid))
				}
			}
		}
	}
	if read < 3 {
		t.Errorf("could read the environment of only %d processes", read)
	}
}
