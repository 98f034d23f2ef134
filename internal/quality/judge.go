package quality

import (
	"fmt"
	"math"
	"time"
)

// Limits are what a recording may show before it counts as suspect. A negative value turns
// its check off.
type Limits struct {
	// MaxBlack, MaxFrozen and MaxSilence bound the longest black, frozen and silent stretch.
	// Silence is judged so for mixes; an individual participant's audio is suspect only when
	// it is silent throughout (a participant who listens is silent for long, rightly).
	MaxBlack, MaxFrozen, MaxSilence time.Duration
	// MinFPSRatio is the least share of the requested frame rate the moving picture must get.
	MinFPSRatio float64
	// MaxAVOffset bounds how far the picture is from the sound, either way.
	MaxAVOffset time.Duration
	// MaxDurationShortfall bounds how much shorter the file is than the time it was recorded
	// for, gaps by design left out.
	MaxDurationShortfall time.Duration
}

// minMoving is the least moving picture a frame rate is judged over: a recording that is all
// still, black or frozen says that already, and a page that does not change is sent only as
// often as it changes.
const minMoving = 2 * time.Second

// Judge says, in words, what in r breaks the limits; none for a recording that is fine.
// individual marks a participant's own audio.
func Judge(r Report, l Limits, individual bool) []string {
	problems := []string{}
	add := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	duration := time.Duration(r.DurationMs) * time.Millisecond

	if r.RequestedWidth > 0 && r.RequestedHeight > 0 {
		switch {
		case !r.HasVideo:
			add("the file has no video")
		case r.Width != r.RequestedWidth || r.Height != r.RequestedHeight:
			add("the video is %dx%d, not the %dx%d requested", r.Width, r.Height, r.RequestedWidth, r.RequestedHeight)
		}
	}
	if s, ok := spanProblem("the picture is black", r.BlackSpans, l.MaxBlack); ok {
		add("%s", s)
	}
	if s, ok := spanProblem("the picture does not move", r.FrozenSpans, l.MaxFrozen); ok {
		add("%s", s)
	}
	switch {
	case individual && l.MaxSilence >= 0:
		if duration > 0 && total(r.SilentSpans) >= duration-time.Second {
			add("the participant's audio is silent throughout")
		}
	default:
		if s, ok := spanProblem("there is no sound", r.SilentSpans, l.MaxSilence); ok {
			add("%s", s)
		}
	}
	if r.HasVideo && r.RequestedFPS > 0 && l.MinFPSRatio >= 0 {
		moving := duration - total(r.BlackSpans) - total(r.FrozenSpans)
		if moving >= minMoving {
			fps := r.FPS * duration.Seconds() / moving.Seconds()
			if fps < l.MinFPSRatio*r.RequestedFPS {
				add("the moving picture has %.1f frames a second, fewer than %.0f%% of the %g requested",
					fps, l.MinFPSRatio*100, r.RequestedFPS)
			}
		}
	}
	if r.AVOffsetMs != nil && l.MaxAVOffset >= 0 {
		off := time.Duration(*r.AVOffsetMs) * time.Millisecond
		if off.Abs() > l.MaxAVOffset {
			way := "late"
			if off < 0 {
				way = "early"
			}
			add("the picture is %s %s against the sound, more than %s", off.Abs(), way, l.MaxAVOffset)
		}
	}
	if r.WallMs > 0 && l.MaxDurationShortfall >= 0 {
		recorded := time.Duration(r.WallMs-r.GapsMs) * time.Millisecond
		if short := recorded - duration; short > l.MaxDurationShortfall {
			add("the file lasts %s of the %s recorded", roundSec(duration), roundSec(recorded))
		}
	}
	return problems
}

// spanProblem says what spans of what break max: the longest one, and how many there are.
func spanProblem(what string, spans []Span, max time.Duration) (string, bool) {
	if max < 0 || len(spans) == 0 {
		return "", false
	}
	l := longest(spans)
	if l.Duration() <= max {
		return "", false
	}
	s := fmt.Sprintf("%s for %s from %s", what, roundSec(l.Duration()), clock(l.Start))
	if len(spans) > 1 {
		s += fmt.Sprintf(" (%d times, %s in all)", len(spans), roundSec(total(spans)))
	}
	return s, true
}

// clock says a time in a file as m:ss (h:mm:ss past an hour).
func clock(sec float64) string {
	t := int(math.Floor(sec))
	if t >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", t/3600, t/60%60, t%60)
	}
	return fmt.Sprintf("%d:%02d", t/60, t%60)
}

func roundSec(d time.Duration) time.Duration {
	if d < time.Minute {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Second)
}
