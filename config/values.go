package config

import (
	"encoding"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
)

var (
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
	durationType    = reflect.TypeFor[time.Duration]()
)

// set stores raw, as a source gave it (YAML's types, or text from the environment and flags),
// in the setting's field v. The error says what the value should be.
func (s *Setting) set(v reflect.Value, raw any) error {
	if u, ok := v.Addr().Interface().(encoding.TextUnmarshaler); ok {
		text, err := scalar(raw)
		if err != nil {
			return err
		}
		return u.UnmarshalText([]byte(text))
	}
	if v.Kind() == reflect.Slice {
		items, err := s.list(raw)
		if err != nil {
			return err
		}
		v.Set(reflect.ValueOf(items))
		return nil
	}
	text, err := scalar(raw)
	if err != nil {
		return err
	}
	switch {
	case v.Type() == durationType:
		d, err := time.ParseDuration(text)
		if err != nil {
			return fmt.Errorf("%q: a duration like 30s, 5m or 12h", text)
		}
		v.SetInt(int64(d))
	case v.Kind() == reflect.String:
		v.SetString(text)
	case v.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(text)
		if err != nil {
			return fmt.Errorf("%q: true or false", text)
		}
		v.SetBool(b)
	case v.Kind() == reflect.Int:
		n, err := strconv.Atoi(text)
		if err != nil {
			return fmt.Errorf("%q: a whole number", text)
		}
		v.SetInt(int64(n))
	case v.Kind() == reflect.Float64:
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return fmt.Errorf("%q: a number", text)
		}
		v.SetFloat(f)
	default:
		return fmt.Errorf("settings of type %s are not supported", v.Type())
	}
	return nil
}

// scalar is one value as text; a list or a section is refused.
func scalar(raw any) (string, error) {
	switch r := raw.(type) {
	case nil:
		return "", nil
	case string:
		return strings.TrimSpace(r), nil
	case float64:
		return strconv.FormatFloat(r, 'g', -1, 64), nil
	case bool, int, int64, uint64, float32:
		return fmt.Sprint(r), nil
	case []any, []string:
		return "", errors.New("one value, not a list")
	case map[string]any:
		return "", errors.New("one value, not a section")
	}
	return "", fmt.Errorf("%v: not a value", raw)
}

// list reads a list: a YAML sequence, or text split on commas (on spaces for a
// space-separated setting). Empty items are dropped.
func (s *Setting) list(raw any) ([]string, error) {
	items := []string{}
	add := func(text string) {
		if text = strings.TrimSpace(text); text != "" {
			items = append(items, text)
		}
	}
	switch r := raw.(type) {
	case nil:
	case []string:
		for _, item := range r {
			add(item)
		}
	case []any:
		for _, item := range r {
			text, err := scalar(item)
			if err != nil {
				return nil, fmt.Errorf("a list of values: %w", err)
			}
			add(text)
		}
	default:
		text, err := scalar(raw)
		if err != nil {
			return nil, err
		}
		for _, item := range s.split(text) {
			add(item)
		}
	}
	return items, nil
}

// split cuts a list given as one text.
func (s *Setting) split(text string) []string {
	if s.SpaceSeparated {
		return strings.Fields(text)
	}
	return strings.Split(text, ",")
}

// text is a scalar field's value as it would be written: "30s", "1GiB", "auto", "true".
func text(v reflect.Value) string {
	if m, ok := v.Interface().(encoding.TextMarshaler); ok {
		b, err := m.MarshalText()
		if err != nil {
			return fmt.Sprint(v.Interface())
		}
		return string(b)
	}
	switch {
	case v.Type() == durationType:
		return formatDuration(time.Duration(v.Int()))
	case v.Kind() == reflect.Float64:
		return strconv.FormatFloat(v.Float(), 'g', -1, 64)
	case v.Kind() == reflect.Slice:
		return strings.Join(v.Interface().([]string), ",")
	}
	return fmt.Sprint(v.Interface())
}
