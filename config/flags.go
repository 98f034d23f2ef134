package config

import (
	"flag"
	"reflect"
	"strings"
)

// RegisterFlags adds --config and the flag of every setting of the loader's command to fs;
// their help is the setting's comment in mediapush.yml. A flag only records what it is given:
// Load reads and checks it with the other sources.
func (l *Loader) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&l.file, "config", "", "YAML configuration file (default: "+FileEnv+"; see mediapush config)")
	defaults := Defaults()
	docs := documentation()
	for _, s := range Settings() {
		if s.Flag == "" || !s.forCommand(l.Command) {
			continue
		}
		usage := docs[s.Key]
		if s.Env != "" {
			usage += " [" + s.Key + ", " + s.Env + "]"
		}
		fs.Var(&settingFlag{l: l, s: s}, s.Flag, usage)
		fs.Lookup(s.Flag).DefValue = text(s.value(&defaults))
	}
}

// settingFlag is one setting's flag. A list's flag may be repeated, each time with one item
// or (but for space-separated lists, whose items may hold commas) several separated by commas.
type settingFlag struct {
	l *Loader
	s *Setting
}

func (f *settingFlag) String() string {
	if f.s == nil {
		return ""
	}
	switch v := f.l.flags[f.s.Key].(type) {
	case string:
		return v
	case []string:
		return strings.Join(v, ",")
	}
	return ""
}

func (f *settingFlag) Set(v string) error {
	if f.s.typ.Kind() != reflect.Slice {
		f.l.flags[f.s.Key] = v
		return nil
	}
	items, _ := f.l.flags[f.s.Key].([]string)
	if f.s.SpaceSeparated {
		items = append(items, v)
	} else {
		items = append(items, strings.Split(v, ",")...)
	}
	f.l.flags[f.s.Key] = items
	return nil
}

// IsBoolFlag lets a boolean setting's flag stand alone (--signed-downloads) or take a value
// (--local-sessions=false).
func (f *settingFlag) IsBoolFlag() bool { return f.s != nil && f.s.typ.Kind() == reflect.Bool }
