package config

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// loader is a loader of command's configuration from exactly the given sources.
func loader(t *testing.T, command string, file string, env []string, args ...string) *Loader {
	t.Helper()
	l := NewLoader(command)
	l.Environ = func() []string { return env }
	fs := flag.NewFlagSet(command, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	l.RegisterFlags(fs)
	if file != "" {
		path := filepath.Join(t.TempDir(), "mediapush.yml")
		if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
			t.Fatal(err)
		}
		args = append([]string{"--config", path}, args...)
	}
	if err := fs.Parse(args); err != nil {
		t.Fatalf("flags %q: %v", args, err)
	}
	return l
}

// TestDocumentedFileIsTheDefaults holds mediapush.yml to the code: read as a configuration
// it is Defaults(), and it has every setting, each under a comment.
func TestDocumentedFileIsTheDefaults(t *testing.T) {
	cfg, err := loader(t, "", string(Documented), nil).Load()
	if err != nil {
		t.Fatal(err)
	}
	if want := Defaults(); !reflect.DeepEqual(cfg, want) {
		t.Errorf("mediapush.yml:\n%+v\nDefaults():\n%+v", cfg, want)
	}
	docs := documentation()
	for _, s := range Settings() {
		doc, ok := docs[s.Key]
		if !ok {
			t.Errorf("%s is not in mediapush.yml", s.Key)
		} else if len(doc) < 10 {
			t.Errorf("%s: mediapush.yml says too little about it: %q", s.Key, doc)
		}
	}
	if len(docs) != len(Settings()) {
		t.Errorf("mediapush.yml has %d settings, Config %d", len(docs), len(Settings()))
	}
	// The printed defaults read back the same, as a file would.
	out, err := Defaults().YAML()
	if err != nil {
		t.Fatal(err)
	}
	if cfg, err := loader(t, "", string(out), nil).Load(); err != nil || !reflect.DeepEqual(cfg, Defaults()) {
		t.Errorf("mediapush config's defaults read back as %+v, %v:\n%s", cfg, err, out)
	}
}

// sample is a value of s other than its default, set in cfg; its text for the environment,
// its flags, and its form in a file.
func sample(t *testing.T, s *Setting, cfg *Config) (env string, flags []string, file any) {
	t.Helper()
	v := s.value(cfg)
	switch p := v.Addr().Interface().(type) {
	case *string:
		*p = "sample-" + strings.ReplaceAll(s.Key, ".", "-")
	case *bool:
		*p = !*p
	case *int:
		*p += 3
	case *float64:
		*p += 0.5
	case *time.Duration:
		*p += 7 * time.Second
	case *ByteSize:
		*p = 3 << 30
	case *AutoInt:
		*p = AutoInt{Value: 7}
	case *AutoFloat:
		*p = AutoFloat{Value: 1.5}
	case *AutoSize:
		*p = AutoSize{Value: 3 << 30}
	case *[]string:
		*p = []string{"one.example", "two.example"}
		sep := ","
		if s.SpaceSeparated {
			*p, sep = []string{"--one=a,b", "--two"}, " "
		}
		return strings.Join(*p, sep), *p, *p
	default:
		t.Fatalf("%s: no sample value for %T: add one", s.Key, p)
	}
	return text(v), []string{text(v)}, text(v)
}

// nested is a file setting key to value.
func nested(key string, value any) string {
	path := strings.Split(key, ".")
	var doc any = value
	for i := len(path) - 1; i >= 0; i-- {
		doc = map[string]any{path[i]: doc}
	}
	out, _ := yaml.Marshal(doc)
	return string(out)
}

// TestEverySettingRoundTrips sets each setting in turn through the file, the environment and
// its flag, and finds it, alone, in the configuration read.
func TestEverySettingRoundTrips(t *testing.T) {
	for _, s := range Settings() {
		want := Defaults()
		envText, flagValues, fileValue := sample(t, s, &want)
		check := func(source string, l *Loader) {
			t.Helper()
			got, origins, err := l.read()
			if err != nil {
				t.Errorf("%s through %s: %v", s.Key, source, err)
				return
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s through %s: %s, want %s", s.Key, source, text(s.value(&got)), text(s.value(&want)))
			}
			if len(origins) != 1 || origins[s.Key] == "" {
				t.Errorf("%s through %s: origins %v", s.Key, source, origins)
			}
		}
		check("the file", loader(t, "", nested(s.Key, fileValue), nil))
		check("the environment", loader(t, "", "", []string{s.Env + "=" + envText}))
		if s.Secret {
			if s.Flag != "" {
				t.Errorf("secret %s has the flag --%s", s.Key, s.Flag)
			}
			continue
		}
		var args []string
		for _, v := range flagValues {
			args = append(args, "--"+s.Flag+"="+v)
		}
		check("--"+s.Flag, loader(t, "", "", nil, args...))
	}
}

func TestNamesAreDerivedFromKeys(t *testing.T) {
	for key, want := range map[string][2]string{
		"limits.maxSessions":    {"MEDIAPUSH_LIMITS_MAX_SESSIONS", "max-sessions"},
		"limits.maxAvOffset":    {"MEDIAPUSH_LIMITS_MAX_AV_OFFSET", "max-av-offset"},
		"s3.uploadBackoff":      {"MEDIAPUSH_S3_UPLOAD_BACKOFF", "s3-upload-backoff"},
		"webhook.timeout":       {"MEDIAPUSH_WEBHOOK_TIMEOUT", "webhook-timeout"},
		"api.token":             {"MEDIAPUSH_API_TOKEN", ""},
		"api.restJwtSecret":     {"MEDIAPUSH_REST_JWT_SECRET", ""},
		"rooms.tokenSecret":     {"MEDIAPUSH_TOKEN_SECRET", ""},
		"s3.accessKey":          {"MEDIAPUSH_S3_ACCESS_KEY", ""},
		"s3.secretKey":          {"MEDIAPUSH_S3_SECRET_KEY", ""},
		"webhook.secret":        {"MEDIAPUSH_WEBHOOK_SECRET", ""},
		"cluster.token":         {"MEDIAPUSH_CLUSTER_TOKEN", ""},
		"browser.switches":      {"MEDIAPUSH_BROWSER_SWITCHES", "chromium-switch"},
		"storage.dataDir":       {"MEDIAPUSH_STORAGE_DATA_DIR", "data"},
		"worker.controllerUrl":  {"MEDIAPUSH_WORKER_CONTROLLER_URL", "controller-url"},
		"cluster.localSessions": {"MEDIAPUSH_CLUSTER_LOCAL_SESSIONS", "local-sessions"},
	} {
		s := lookup(key)
		if s == nil {
			t.Errorf("no setting %s", key)
			continue
		}
		if s.Env != want[0] || s.Flag != want[1] {
			t.Errorf("%s: %s --%s, want %s --%s", key, s.Env, s.Flag, want[0], want[1])
		}
	}
	seen := map[string]string{}
	for _, s := range Settings() {
		for _, name := range []string{s.Env, "--" + s.Flag} {
			if name == "--" {
				continue
			}
			if other, dup := seen[name]; dup {
				t.Errorf("%s names both %s and %s", name, other, s.Key)
			}
			seen[name] = s.Key
		}
	}
}

func TestPrecedence(t *testing.T) {
	file := "limits:\n  maxPushes: 6\n"
	env := []string{"MEDIAPUSH_LIMITS_MAX_PUSHES=7"}
	for _, c := range []struct {
		name string
		l    *Loader
		want int
	}{
		{"defaults", loader(t, "", "", nil), 5},
		{"file", loader(t, "", file, nil), 6},
		{"environment over file", loader(t, "", file, env), 7},
		{"flag over environment", loader(t, "", file, env, "--max-pushes", "8"), 8},
		{"empty variable is none", loader(t, "", file, []string{"MEDIAPUSH_LIMITS_MAX_PUSHES="}), 6},
	} {
		cfg, err := c.l.Load()
		if err != nil || cfg.Limits.MaxPushes != c.want {
			t.Errorf("%s: %d, %v; want %d", c.name, cfg.Limits.MaxPushes, err, c.want)
		}
	}

	// The file may come from MEDIAPUSH_CONFIG; --config wins over it.
	path := filepath.Join(t.TempDir(), "env.yml")
	if err := os.WriteFile(path, []byte("limits:\n  maxPushes: 9\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if cfg, err := loader(t, "", "", []string{FileEnv + "=" + path}).Load(); err != nil || cfg.Limits.MaxPushes != 9 {
		t.Errorf("MEDIAPUSH_CONFIG: %d, %v", cfg.Limits.MaxPushes, err)
	}
	if cfg, err := loader(t, "", file, []string{FileEnv + "=" + path}).Load(); err != nil || cfg.Limits.MaxPushes != 6 {
		t.Errorf("--config over MEDIAPUSH_CONFIG: %d, %v", cfg.Limits.MaxPushes, err)
	}

	// Lists are replaced, not added to; a flag given twice adds.
	cfg, err := loader(t, "", "destinations:\n  allow: [10.0.0.0/8]\n", []string{"MEDIAPUSH_DESTINATIONS_ALLOW=127.0.0.1,cam.lan"},
		"--allow-destination", "192.168.1.0/24", "--allow-destination", "rtmp.lan:1935,nas.lan").Load()
	if err != nil || !reflect.DeepEqual(cfg.Destinations.Allow, []string{"192.168.1.0/24", "rtmp.lan:1935", "nas.lan"}) {
		t.Errorf("flags over the environment over the file: %q, %v", cfg.Destinations.Allow, err)
	}
}

func TestErrorsNameTheSettingAsWritten(t *testing.T) {
	for _, c := range []struct {
		name    string
		file    string
		env     []string
		args    []string
		command string
		want    string
	}{
		{name: "environment", env: []string{"MEDIAPUSH_LIMITS_MAX_SESSIONS=-1"},
			want: "limits.maxSessions (MEDIAPUSH_LIMITS_MAX_SESSIONS): -1: a limit is 0 (none) or more"},
		{name: "flag", args: []string{"--max-pushes", "-2"},
			want: "limits.maxPushes (--max-pushes): -2: a limit is 0 (none) or more"},
		{name: "file", file: "limits:\n  maxRestarts: -3\n",
			want: "limits.maxRestarts (FILE): -3: a limit is 0 (none) or more"},
		{name: "not a number", env: []string{"MEDIAPUSH_BROWSER_WARM=many"},
			want: `browser.warm (MEDIAPUSH_BROWSER_WARM): "many": a whole number`},
		{name: "not a duration", file: "sessions:\n  startTimeout: 30\n",
			want: `sessions.startTimeout (FILE): "30": a duration like 30s, 5m or 12h`},
		{name: "not a size", args: []string{"--min-free-disk", "lots"},
			want: `limits.minFreeDisk (--min-free-disk): "lots": a size like 500MiB or 2GiB`},
		{name: "not auto", args: []string{"--cpu-budget", "plenty"},
			want: `limits.cpuBudget (--cpu-budget): "plenty": a number or auto`},
		{name: "list for a value", file: "log:\n  level: [info]\n",
			want: "log.level (FILE): one value, not a list"},
		{name: "unknown key", file: "limits:\n  maxSesions: 3\nlog:\n  level: info\n",
			want: `FILE: unknown setting "limits.maxSesions"`},
		{name: "unknown section", file: "limit:\n  maxSessions: 3\n",
			want: `FILE: unknown setting "limit.maxSessions"`},
		{name: "a secret is not shown", env: []string{"MEDIAPUSH_TOKEN_SECRET=short-secret"},
			want: "rooms.tokenSecret (MEDIAPUSH_TOKEN_SECRET): at least 32 characters"},
		{name: "a missing setting says how to give it", command: "worker",
			want: "cluster.nats (--nats or MEDIAPUSH_CLUSTER_NATS) is required: the URL of the NATS server the controller uses"},
		{name: "webhook without secret", args: []string{"--webhook-url", "https://hooks.example.com/in"},
			want: "webhook.secret (MEDIAPUSH_WEBHOOK_SECRET) is required"},
		{name: "switch", args: []string{"--chromium-switch", "--remote-debugging-port=9222"},
			want: `browser.switches (--chromium-switch): "--remote-debugging-port=9222": `},
		{name: "sandbox", env: []string{"MEDIAPUSH_BROWSER_SANDBOX=maybe"},
			want: "browser.sandbox (MEDIAPUSH_BROWSER_SANDBOX): maybe: auto (where the host allows it), on or off"},
		{name: "public ip", args: []string{"--public-ip", "1.2.3.4,example.com"},
			want: `rooms.publicIps (--public-ip): "example.com": not an IP address`},
		{name: "s3 together", args: []string{"--s3-bucket", "b"},
			want: "s3.endpoint (--s3-endpoint or MEDIAPUSH_S3_ENDPOINT) is required: s3.endpoint and s3.bucket go together"},
		{name: "local sessions", command: "serve", args: []string{"--local-sessions=false"},
			want: "cluster.localSessions (--local-sessions): false: without sessions of its own serve needs worker nodes"},
		{name: "a default is named bare", command: "worker", file: "worker:\n  drainTimeout: 0s\n",
			want: "worker.drainTimeout (FILE): 0s: a duration more than 0"},
	} {
		l := loader(t, c.command, c.file, c.env, c.args...)
		_, err := l.Load()
		want := strings.ReplaceAll(c.want, "FILE", l.file)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v\nwant %q", c.name, err, want)
		}
	}

	// Every problem is reported at once: the values that cannot be read, else the values
	// that make no sense.
	for _, c := range []struct {
		env  []string
		args []string
		want []string
	}{
		{[]string{"MEDIAPUSH_ROOMS_MAX_VIEWERS=x"}, []string{"--max-restarts=y"}, []string{"rooms.maxViewers", "limits.maxRestarts"}},
		{[]string{"MEDIAPUSH_LIMITS_MAX_PUSHES=-1"}, []string{"--max-restarts=-1"}, []string{"limits.maxPushes", "limits.maxRestarts"}},
	} {
		_, err := loader(t, "", "", c.env, c.args...).Load()
		for _, want := range c.want {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%v %v: %v, want %s named", c.env, c.args, err, want)
			}
		}
	}

	// A worker leaves serve's settings unchecked: it may share serve's file without its secrets.
	if _, err := loader(t, "worker", "webhook:\n  url: https://hooks.example.com/in\n", nil, "--nats", "nats://127.0.0.1:4222").Load(); err != nil {
		t.Errorf("worker with serve's webhook: %v", err)
	}
}

func TestSecretsComeFromFileOrEnvironmentOnly(t *testing.T) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	NewLoader("serve").RegisterFlags(fs)
	for _, s := range Settings() {
		if s.Secret && fs.Lookup(strings.Join(words(s.Key), "-")) != nil {
			t.Errorf("secret %s has a flag", s.Key)
		}
	}
	if err := fs.Parse([]string{"--api-token", "x"}); err == nil {
		t.Error("--api-token is accepted")
	}
	cfg, err := loader(t, "serve", "api:\n  token: from-the-file\ncluster:\n  token: cluster-file\n",
		[]string{"MEDIAPUSH_API_TOKEN=from-the-environment"}).Load()
	if err != nil || cfg.API.Token != "from-the-environment" || cfg.Cluster.Token != "cluster-file" {
		t.Errorf("secrets: %q %q, %v", cfg.API.Token, cfg.Cluster.Token, err)
	}
}

func TestYAMLHidesSecrets(t *testing.T) {
	cfg, err := loader(t, "serve", "", []string{"MEDIAPUSH_API_TOKEN=api-token-value", "MEDIAPUSH_S3_SECRET_KEY=s3-secret-value"},
		"--max-sessions", "4").Load()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cfg.YAML()
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"api-token-value", "s3-secret-value"} {
		if strings.Contains(string(out), secret) {
			t.Errorf("the printed configuration shows a secret:\n%s", out)
		}
	}
	var printed struct {
		API    map[string]string
		S3     map[string]string `yaml:"s3"`
		Limits map[string]any
	}
	if err := yaml.Unmarshal(out, &printed); err != nil {
		t.Fatal(err)
	}
	if printed.API["token"] != Hidden || printed.API["restJwtSecret"] != "" || printed.S3["secretKey"] != Hidden || printed.Limits["maxSessions"] != 4 {
		t.Errorf("printed: %+v\n%s", printed, out)
	}
}

func TestFlagsOfEachCommand(t *testing.T) {
	flags := func(command string) map[string]bool {
		fs := flag.NewFlagSet(command, flag.ContinueOnError)
		NewLoader(command).RegisterFlags(fs)
		m := map[string]bool{}
		fs.VisitAll(func(f *flag.Flag) { m[f.Name] = true })
		return m
	}
	serve, worker := flags("serve"), flags("worker")
	for _, name := range []string{"addr", "data", "max-sessions", "nats-listen", "nats", "local-sessions", "webhook-url", "chromium-switch", "config"} {
		if !serve[name] {
			t.Errorf("serve has no --%s", name)
		}
	}
	for _, name := range []string{"nats", "data", "streams", "spool", "controller-url", "drain-timeout", "node-id", "max-sessions", "warm-browsers", "config"} {
		if !worker[name] {
			t.Errorf("worker has no --%s", name)
		}
	}
	for _, name := range []string{"addr", "webhook-url", "nats-listen"} {
		if worker[name] {
			t.Errorf("worker has --%s", name)
		}
	}
	if serve["streams"] {
		t.Error("serve has --streams")
	}
}

// TestEveryFieldIsASetting catches a field added without its koanf tag, which no source
// would reach.
func TestEveryFieldIsASetting(t *testing.T) {
	var check func(t reflect.Type, path string)
	check = func(typ reflect.Type, path string) {
		for i := range typ.NumField() {
			f := typ.Field(i)
			name := f.Tag.Get("koanf")
			if name == "" {
				t.Errorf("%s.%s has no koanf tag", path, f.Name)
				continue
			}
			if !isLeaf(f.Type) {
				check(f.Type, path+"."+name)
			}
		}
	}
	check(reflect.TypeFor[Config](), "Config")
}
