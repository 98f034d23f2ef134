package childenv

import (
	"slices"
	"strings"
	"testing"
)

func TestMinimalKeepsWhatChildrenNeedAndNothingElse(t *testing.T) {
	t.Setenv("MEDIAPUSH_TOKEN_SECRET", "s3cr3t-token")
	t.Setenv("MEDIAPUSH_S3_SECRET_KEY", "s3cr3t-key")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "aws-key")
	t.Setenv("https_proxy", "http://user:pw@proxy:3128")
	t.Setenv("PATH", "/usr/bin:/bin")
	t.Setenv("LANG", "de_DE.UTF-8")
	t.Setenv("LC_TIME", "de_DE.UTF-8")
	t.Setenv("TMPDIR", "/var/tmp")

	env := Minimal("TMPDIR=/tmp/session")
	for _, kv := range env {
		if strings.Contains(kv, "s3cr3t") || strings.Contains(kv, "aws-key") || strings.Contains(kv, "pw@proxy") {
			t.Errorf("a secret reached the child's environment: %s", kv)
		}
	}
	for _, want := range []string{"PATH=/usr/bin:/bin", "LANG=de_DE.UTF-8", "LC_TIME=de_DE.UTF-8", "TMPDIR=/tmp/session"} {
		if !slices.Contains(env, want) {
			t.Errorf("%s missing from %q", want, env)
		}
	}
	if slices.Contains(env, "TMPDIR=/var/tmp") {
		t.Errorf("the inherited TMPDIR was kept next to the one set: %q", env)
	}
}
