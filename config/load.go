package config

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/confmap"
	"github.com/knadh/koanf/providers/env/v2"
	"github.com/knadh/koanf/v2"
)

// FileEnv names the configuration file when --config is not given.
const FileEnv = "MEDIAPUSH_CONFIG"

// Loader reads the configuration of one command from its sources.
type Loader struct {
	// Command is "serve" or "worker": the flags registered and the checks made are that
	// command's. "" registers every flag and makes the checks common to both.
	Command string
	// Environ is the environment; default os.Environ.
	Environ func() []string

	file  string
	flags map[string]any // key → the text of a flag, or the items of a list flag
}

// NewLoader is a loader of command's configuration from the process's environment.
func NewLoader(command string) *Loader {
	return &Loader{Command: command, flags: map[string]any{}}
}

// Load reads the defaults, the file, the environment and the flags, in this order, each
// overriding the one before, and checks the result. Every problem is reported, each naming
// its setting as the user wrote it.
func (l *Loader) Load() (Config, error) {
	cfg, origins, err := l.read()
	if err != nil {
		return Config{}, err
	}
	if err := validate(&cfg, l.Command, origins); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// read merges the sources, unchecked; origins says where each setting given came from.
func (l *Loader) read() (Config, map[string]string, error) {
	environ := l.Environ
	if environ == nil {
		environ = os.Environ
	}
	path := l.file
	if path == "" {
		path = lookupEnv(environ(), FileEnv)
	}
	type source struct {
		k     *koanf.Koanf
		label func(s *Setting) string
	}
	var sources []source
	if path != "" {
		body, err := os.ReadFile(path)
		if err != nil {
			return Config{}, nil, fmt.Errorf("configuration file: %w", err)
		}
		k, err := parseFile(path, body)
		if err != nil {
			return Config{}, nil, err
		}
		sources = append(sources, source{k, func(*Setting) string { return path }})
	}
	ek := koanf.New(".")
	if err := ek.Load(env.Provider(".", env.Opt{Prefix: EnvPrefix, EnvironFunc: environ, TransformFunc: envKey}), nil); err != nil {
		return Config{}, nil, err
	}
	sources = append(sources, source{ek, func(s *Setting) string { return s.Env }})
	fk := koanf.New(".")
	if err := fk.Load(confmap.Provider(l.flags, "."), nil); err != nil {
		return Config{}, nil, err
	}
	sources = append(sources, source{fk, func(s *Setting) string { return "--" + s.Flag }})

	cfg := Defaults()
	origins := map[string]string{}
	var errs []error
	for _, s := range Settings() {
		for _, src := range sources {
			if !src.k.Exists(s.Key) {
				continue
			}
			origins[s.Key] = src.label(s)
			if err := s.set(s.value(&cfg), src.k.Get(s.Key)); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", named(s, origins), err))
			}
		}
	}
	if len(errs) > 0 {
		return Config{}, nil, errors.Join(errs...)
	}
	return cfg, origins, nil
}

// parseFile reads a YAML configuration; a key that is no setting is an error naming it.
func parseFile(path string, body []byte) (*koanf.Koanf, error) {
	k := koanf.New(".")
	if err := k.Load(bytesProvider(body), yaml.Parser()); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var unknown []string
	for _, key := range k.Keys() {
		if lookup(key) == nil && !(k.Get(key) == nil && isSection(key)) {
			unknown = append(unknown, key)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("%s: unknown setting %s (see mediapush config for every setting)", path, strings.Join(quoteAll(unknown), ", "))
	}
	return k, nil
}

// isSection says whether key holds settings, as an empty section of a file does ("limits:"
// with every line under it commented out).
func isSection(key string) bool {
	for _, s := range Settings() {
		if strings.HasPrefix(s.Key, key+".") {
			return true
		}
	}
	return false
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// envKey maps a setting's environment variable to its key; other variables, and empty ones,
// are left out: an empty variable is as good as none.
func envKey(name, value string) (string, any) {
	s := byEnv()[name]
	if s == nil || value == "" {
		return "", nil
	}
	return s.Key, value
}

func byEnv() map[string]*Setting {
	m := map[string]*Setting{}
	for _, s := range Settings() {
		m[s.Env] = s
	}
	return m
}

func lookupEnv(environ []string, name string) string {
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v
		}
	}
	return ""
}

// named is a setting as the user wrote it: its key, and where its value came from unless it
// is the default.
func named(s *Setting, origins map[string]string) string {
	if o := origins[s.Key]; o != "" {
		return s.Key + " (" + o + ")"
	}
	return s.Key
}

// bytesProvider hands a file's body, already read, to koanf.
type bytesProvider []byte

func (b bytesProvider) ReadBytes() ([]byte, error) { return b, nil }
func (b bytesProvider) Read() (map[string]any, error) {
	return nil, errors.New("bytes provider: use ReadBytes")
}
