package config

import (
	"reflect"
	"strings"
	"sync"
	"unicode"
)

// EnvPrefix starts every environment variable of a setting.
const EnvPrefix = "MEDIAPUSH_"

// Setting is one leaf of Config and the names it goes by in each source.
type Setting struct {
	// Key is its path in the YAML file: "limits.maxSessions".
	Key string
	// Env is its environment variable: MEDIAPUSH_LIMITS_MAX_SESSIONS.
	Env string
	// Flag is its command-line flag without dashes; "" for a secret, which has none.
	Flag string
	// Secret is never printed, and never taken from the command line.
	Secret bool
	// Command is the only command with its flag ("serve", "worker"); "" for both.
	Command string
	// SpaceSeparated lists are split on spaces in the environment and taken whole from each
	// flag, as their items may hold commas (Chromium switches); other lists are split on commas.
	SpaceSeparated bool

	index []int
	typ   reflect.Type
}

// value is the setting's field in c.
func (s *Setting) value(c *Config) reflect.Value {
	return reflect.ValueOf(c).Elem().FieldByIndex(s.index)
}

// forCommand says whether command has the setting's flag; "" has every flag.
func (s *Setting) forCommand(command string) bool {
	return command == "" || s.Command == "" || s.Command == command
}

var (
	settingsOnce sync.Once
	settingsList []*Setting
	settingsByID map[string]*Setting
)

// Settings are every setting of Config, in the order of the struct.
func Settings() []*Setting {
	settingsOnce.Do(func() {
		settingsByID = map[string]*Setting{}
		walk(reflect.TypeFor[Config](), nil, "", "", func(s *Setting) {
			settingsList = append(settingsList, s)
			settingsByID[s.Key] = s
		})
	})
	return settingsList
}

// lookup finds a setting by its key.
func lookup(key string) *Setting {
	Settings()
	return settingsByID[key]
}

// leafTypes are struct types that are one setting, not a section.
func isLeaf(t reflect.Type) bool {
	if t.Kind() != reflect.Struct {
		return true
	}
	return reflect.PointerTo(t).Implements(textUnmarshaler)
}

func walk(t reflect.Type, index []int, prefix, command string, add func(*Setting)) {
	for i := range t.NumField() {
		f := t.Field(i)
		name := f.Tag.Get("koanf")
		if name == "" || !f.IsExported() {
			continue
		}
		key := name
		if prefix != "" {
			key = prefix + "." + name
		}
		cmd := command
		if c := f.Tag.Get("cmd"); c != "" {
			cmd = c
		}
		idx := append(append([]int{}, index...), i)
		if !isLeaf(f.Type) {
			walk(f.Type, idx, key, cmd, add)
			continue
		}
		s := &Setting{Key: key, Env: f.Tag.Get("env"), Flag: f.Tag.Get("flag"), Secret: f.Tag.Get("secret") == "true",
			Command: cmd, SpaceSeparated: f.Tag.Get("split") == "space", index: idx, typ: f.Type}
		if s.Env == "" {
			s.Env = EnvPrefix + strings.ToUpper(strings.Join(words(key), "_"))
		}
		if s.Secret {
			s.Flag = ""
		} else if s.Flag == "" {
			s.Flag = strings.Join(words(key), "-")
		}
		add(s)
	}
}

// words splits a key into its lower-case words: "limits.maxAvOffset" is limits, max, av,
// offset.
func words(key string) []string {
	var out []string
	for _, part := range strings.Split(key, ".") {
		var w []rune
		for i, r := range part {
			if unicode.IsUpper(r) && i > 0 {
				out = append(out, string(w))
				w = nil
			}
			w = append(w, unicode.ToLower(r))
		}
		out = append(out, string(w))
	}
	return out
}
