package browser

import (
	"context"
	"strings"
	"testing"
	"time"

	"mediapush/internal/procstat"
)

func TestChromiumGetsNoSecretsFromTheEnvironment(t *testing.T) {
	secrets := map[string]string{
		"MEDIAPUSH_API_TOKEN":      "api-token-5f0c1e",
		"MEDIAPUSH_TOKEN_SECRET":   "token-secret-9a7b3d",
		"MEDIAPUSH_S3_SECRET_KEY":  "s3-secret-key-44e2aa",
		"MEDIAPUSH_WEBHOOK_SECRET": "webhook-secret-c81f07",
	}
	for k, v := range secrets {
		t.Setenv(k, v)
	}
	srv := page(t)
	b := launch(t, 640, 360)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// An open page has a renderer: every kind of Chromium process is running.
	if err := b.Open(ctx, srv.URL+"/"); err != nil {
		t.Fatal(err)
	}
	pids := append([]int{b.PID()}, procstat.Descendants(b.PID())...)
	if len(pids) < 3 {
		t.Fatalf("found %d Chromium processes (%v), expected the browser, its zygote and a renderer", len(pids), pids)
	}
	for _, pid := range pids {
		env := procstat.Environ(pid)
		if env == nil {
			continue // exited meanwhile
		}
		for _, kv := range env {
			for name, secret := range secrets {
				if strings.Contains(kv, secret) {
					t.Errorf("%s reached Chromium process %d (%s)", name, pid, procstat.Cmdline(pid))
				}
			}
		}
	}
}

func TestServerAndCallerSwitchesApply(t *testing.T) {
	srv := page(t)
	b := launchWith(t, Options{
		ServerSwitches: map[string]any{"force-dark-mode": true, "accept-lang": "fr"},
		Switches:       map[string]any{"accept-lang": "de-CH"}}, 640, 360)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := b.Open(ctx, srv.URL+"/"); err != nil {
		t.Fatal(err)
	}
	got, err := b.Evaluate(ctx, "matchMedia('(prefers-color-scheme: dark)').matches + ' ' + navigator.language")
	if err != nil {
		t.Fatal(err)
	}
	if got != "true de-CH" {
		t.Errorf("dark scheme and language = %q; want the operator's dark mode and the caller's de-CH", got)
	}
}
