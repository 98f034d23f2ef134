package quality

import (
	"math"
	"slices"
	"strconv"
	"strings"
)

// detected are the spans ffmpeg's blackdetect, freezedetect and silencedetect filters logged,
// in the stream's own seconds.
type detected struct {
	black, frozen, silent []Span
}

// parseDetect reads the log of an ffmpeg run of the three filters (at -v info). A span still
// open when the log ends (ffmpeg 5 leaves a freeze lasting to the end unclosed) ends at end.
// Lines of other filters and anything unreadable are skipped: the log is ffmpeg's, not ours.
//
//	[blackdetect @ 0x…] black_start:0 black_end:3 black_duration:3
//	[freezedetect @ 0x…] lavfi.freezedetect.freeze_start: 0.2
//	[freezedetect @ 0x…] lavfi.freezedetect.freeze_end: 3
//	[silencedetect @ 0x…] silence_start: 2.00288
//	[silencedetect @ 0x…] silence_end: 6.01397 | silence_duration: 4.01109
func parseDetect(log string, end float64) detected {
	var d detected
	freezeStart, silenceStart := math.NaN(), math.NaN()
	for line := range strings.Lines(log) {
		_, text, ok := strings.Cut(line, "] ")
		if !ok {
			continue
		}
		text = strings.TrimSpace(text)
		switch {
		case strings.HasPrefix(text, "black_start:"):
			start, ok1 := field(text, "black_start:")
			stop, ok2 := field(text, "black_end:")
			if ok1 && ok2 && stop > start {
				d.black = append(d.black, Span{Start: start, End: stop})
			}
		case strings.HasPrefix(text, "lavfi.freezedetect.freeze_start:"):
			if t, ok := field(text, "lavfi.freezedetect.freeze_start:"); ok {
				freezeStart = t
			}
		case strings.HasPrefix(text, "lavfi.freezedetect.freeze_end:"):
			if t, ok := field(text, "lavfi.freezedetect.freeze_end:"); ok && !math.IsNaN(freezeStart) && t > freezeStart {
				d.frozen = append(d.frozen, Span{Start: freezeStart, End: t})
			}
			freezeStart = math.NaN()
		case strings.HasPrefix(text, "silence_start:"):
			if t, ok := field(text, "silence_start:"); ok {
				silenceStart = max(t, 0) // silencedetect may date it a little before the stream
			}
		case strings.HasPrefix(text, "silence_end:"):
			if t, ok := field(text, "silence_end:"); ok && !math.IsNaN(silenceStart) && t > silenceStart {
				d.silent = append(d.silent, Span{Start: silenceStart, End: t})
			}
			silenceStart = math.NaN()
		}
	}
	if !math.IsNaN(freezeStart) && end > freezeStart {
		d.frozen = append(d.frozen, Span{Start: freezeStart, End: end})
	}
	if !math.IsNaN(silenceStart) && end > silenceStart {
		d.silent = append(d.silent, Span{Start: silenceStart, End: end})
	}
	for _, s := range []*[]Span{&d.black, &d.frozen, &d.silent} {
		slices.SortFunc(*s, func(a, b Span) int { return cmpFloat(a.Start, b.Start) })
	}
	return d
}

// field reads the number after key in text ("black_end:3.5 …", "silence_end: 6 | …").
func field(text, key string) (float64, bool) {
	i := strings.Index(text, key)
	if i < 0 {
		return 0, false
	}
	rest := strings.TrimSpace(text[i+len(key):])
	if j := strings.IndexAny(rest, " |"); j >= 0 {
		rest = rest[:j]
	}
	f, err := strconv.ParseFloat(rest, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// shift moves spans by -offset (to the file's own time) and clips them to [0, end].
func shift(spans []Span, offset, end float64) []Span {
	out := []Span{}
	for _, s := range spans {
		s.Start, s.End = max(s.Start-offset, 0), min(s.End-offset, end)
		if s.End > s.Start {
			out = append(out, Span{Start: round3(s.Start), End: round3(s.End)})
		}
	}
	return out
}

// round3 keeps milliseconds: the report's figures need no more.
func round3(f float64) float64 { return math.Round(f*1000) / 1000 }
