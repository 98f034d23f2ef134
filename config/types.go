package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
)

// ByteSize is a number of bytes, written as a size: 500MiB, 2GiB, 1073741824.
type ByteSize int64

// UnmarshalText reads a size like 500MiB or 2GiB.
func (s *ByteSize) UnmarshalText(b []byte) error {
	n, err := humanize.ParseBytes(string(b))
	if err != nil {
		return fmt.Errorf("%q: a size like 500MiB or 2GiB", b)
	}
	*s = ByteSize(min(n, math.MaxInt64))
	return nil
}

// MarshalText writes the size in the largest binary unit that holds it exactly (1GiB,
// 1536MiB), so that it reads back the same.
func (s ByteSize) MarshalText() ([]byte, error) {
	for _, u := range []struct {
		name string
		size ByteSize
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if s != 0 && s%u.size == 0 {
			return []byte(strconv.FormatInt(int64(s/u.size), 10) + u.name), nil
		}
	}
	return []byte(strconv.FormatInt(int64(s), 10)), nil
}

// autoValue is what may be "auto": a setting whose default is the machine's own figure.
type autoValue interface{ int | float64 | ByteSize }

// Auto is a value or "auto", the figure mediapush works out for the machine it runs on.
type Auto[T autoValue] struct {
	Auto  bool
	Value T
}

// AutoInt, AutoFloat and AutoSize are the kinds of Auto settings.
type (
	AutoInt   = Auto[int]
	AutoFloat = Auto[float64]
	AutoSize  = Auto[ByteSize]
)

// UnmarshalText reads "auto" or a value of T.
func (a *Auto[T]) UnmarshalText(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "auto" {
		*a = Auto[T]{Auto: true}
		return nil
	}
	var v T
	switch p := any(&v).(type) {
	case *int:
		n, err := strconv.Atoi(s)
		if err != nil {
			return fmt.Errorf("%q: a whole number or auto", s)
		}
		*p = n
	case *float64:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("%q: a number or auto", s)
		}
		*p = f
	case *ByteSize:
		if err := p.UnmarshalText([]byte(s)); err != nil {
			return fmt.Errorf("%q: a size like 8GiB, or auto", s)
		}
	}
	*a = Auto[T]{Value: v}
	return nil
}

// MarshalText writes "auto" or the value.
func (a Auto[T]) MarshalText() ([]byte, error) {
	if a.Auto {
		return []byte("auto"), nil
	}
	switch v := any(a.Value).(type) {
	case int:
		return []byte(strconv.Itoa(v)), nil
	case float64:
		return []byte(strconv.FormatFloat(v, 'g', -1, 64)), nil
	case ByteSize:
		return v.MarshalText()
	}
	return nil, fmt.Errorf("auto of %T", a.Value)
}

// plain is the value as YAML should show it: "auto", or the number itself.
func (a Auto[T]) plain() any {
	if a.Auto {
		return "auto"
	}
	if b, ok := any(a.Value).(ByteSize); ok {
		t, _ := b.MarshalText()
		return string(t)
	}
	return a.Value
}

// Or is the value, or the given machine figure when the setting is auto.
func (a Auto[T]) Or(machine T) T {
	if a.Auto {
		return machine
	}
	return a.Value
}

// formatDuration writes a duration as one would type it: 2m rather than 2m0s.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
