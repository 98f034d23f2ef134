package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"mediapush/worker"
)

func TestLimitsFromSettings(t *testing.T) {
	settings, err := loadConfig("serve", nil)
	if err != nil {
		t.Fatal(err)
	}
	l := limits(settings.Limits)
	if l.MinFreeDisk != worker.DefaultMinFreeDisk || l.MaxSessions != worker.DefaultMaxSessions() || l.MaxSessionLength != 12*time.Hour ||
		l.CPUBudget != worker.DefaultCPUBudget() || l.MinFPS != worker.DefaultMinFPS || l.MaxAVOffset != worker.DefaultMaxAVOffset ||
		l.DegradedAfter != worker.DefaultDegradedAfter {
		t.Errorf("defaults: %+v", l)
	}
	srv := server(settings.HTTP, nil)
	if srv.ReadTimeout != 30*time.Second || srv.IdleTimeout != 2*time.Minute || srv.WriteTimeout != 0 {
		t.Errorf("server timeouts: read %s, idle %s, write %s", srv.ReadTimeout, srv.IdleTimeout, srv.WriteTimeout)
	}

	settings, err = loadConfig("serve", []string{"--min-free-disk", "500MiB", "--max-sessions", "0", "--max-session-length", "4s",
		"--cpu-budget", "1.5", "--memory-budget", "2GiB", "--degraded-after", "8s", "--max-av-offset", "0"})
	if err != nil {
		t.Fatal(err)
	}
	if l = limits(settings.Limits); l.MinFreeDisk != 500<<20 || l.MaxSessions >= 0 || l.MaxSessionLength != 4*time.Second ||
		l.CPUBudget != 1.5 || l.MemoryBudget != 2<<30 || l.DegradedAfter != 8*time.Second || l.MaxAVOffset >= 0 {
		t.Errorf("500MiB, no session limit, 4s, 1.5 cores, 2GiB, 8s, no A/V check: %+v", l)
	}
	settings, _ = loadConfig("serve", []string{"--min-free-disk", "0", "--cpu-budget", "0", "--memory-budget", "0"})
	if l = limits(settings.Limits); l.MinFreeDisk >= 0 || l.CPUBudget >= 0 || l.MemoryBudget >= 0 {
		t.Errorf("0 is not checked: %+v", l)
	}

	for _, c := range [][]string{
		{"--min-free-disk", "lots"}, {"--max-pushes", "-2"}, {"--max-session-length", "-1s"}, {"--http-read-timeout", "0s"},
		{"--cpu-budget", "-1"}, {"--cpu-budget", "NaN"}, {"--memory-budget", "much"}, {"--min-fps", "0"}, {"--degraded-after", "0s"},
	} {
		if _, err := loadConfig("serve", c); err == nil || !strings.Contains(err.Error(), "("+c[0]+")") {
			t.Errorf("%v: %v, want an error naming %s", c, err, c[0])
		}
	}
}

func TestServeConfigTakesSecretsFromTheEnvironment(t *testing.T) {
	t.Setenv("MEDIAPUSH_API_TOKEN", "api-token-0123")
	t.Setenv("MEDIAPUSH_TOKEN_SECRET", "token-secret-0123456789abcdef0123456789")
	t.Setenv("MEDIAPUSH_WEBHOOK_SECRET", "webhook-secret-0123456789")
	t.Setenv("MEDIAPUSH_S3_ACCESS_KEY", "s3-access-0123")
	t.Setenv("MEDIAPUSH_S3_SECRET_KEY", "s3-secret-0123")
	settings, err := loadConfig("serve", []string{"--data", t.TempDir(), "--webhook-url", "https://hooks.example.com/in",
		"--s3-endpoint", "s3.example.com:9000", "--s3-bucket", "rec", "--public-ip", "203.0.113.7", "--max-viewers", "0"})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := serveConfig(settings)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.APIToken != "api-token-0123" || string(cfg.Rooms.TokenSecret) != "token-secret-0123456789abcdef0123456789" ||
		string(cfg.Webhook.Secret) != "webhook-secret-0123456789" || cfg.S3.AccessKey != "s3-access-0123" || cfg.S3.SecretKey != "s3-secret-0123" ||
		!cfg.S3.Secure || cfg.Rooms.PublicIPs[0] != "203.0.113.7" || cfg.Rooms.MaxViewers >= 0 || cfg.Webhook.MaxEvents != 10000 {
		t.Errorf("%+v", cfg)
	}
}

// TestConfigCommandHidesSecrets runs mediapush config as an operator would, with secrets in
// the environment and a file.
func TestConfigCommandHidesSecrets(t *testing.T) {
	t.Setenv("MEDIAPUSH_API_TOKEN", "api-token-visible-nowhere")
	t.Setenv("MEDIAPUSH_CLUSTER_TOKEN", "cluster-token-visible-nowhere")
	var out bytes.Buffer
	if err := printConfig([]string{"--max-sessions", "6", "--allow-destination", "10.0.0.0/8,cam.lan"}, &out); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	if strings.Contains(text, "visible-nowhere") {
		t.Errorf("mediapush config shows a secret:\n%s", text)
	}
	for _, want := range []string{"  token: '***'\n", "  restJwtSecret: \"\"\n", "  maxSessions: 6\n", "  allow: [10.0.0.0/8, cam.lan]\n", "  addr: :5080\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("mediapush config lacks %q:\n%s", want, text)
		}
	}
	if err := printConfig([]string{"--api-token", "x"}, &out); err == nil {
		t.Error("a secret is taken from the command line")
	}
}
