// Package quality measures a finished recording the way a person watching it would judge it:
// stretches of black or frozen picture, stretches of silence, the frame rate delivered, the
// picture's size, how far the sound is from the picture and how much of the recorded time the
// file holds. It runs one cheap ffprobe and one ffmpeg decoding pass per file (Measure) and
// says, against limits, what is wrong (Judge). The report goes with the recording.
package quality

import "time"

// Span is a stretch of a file, in seconds from the file's start.
type Span struct {
	Start float64 `json:"start"`
	End   float64 `json:"end"`
}

// Duration is how long the span lasts.
func (s Span) Duration() time.Duration { return seconds(s.End - s.Start) }

// Participant is one participant's own audio, in the report of an individual recording.
type Participant struct {
	StreamID    string `json:"streamId"`
	SilentSpans []Span `json:"silentSpans"`
}

// Report is what a recording was measured to be. The requested figures, the wall time and the
// session's A/V offset are known when the file is finished and filled in before measuring;
// Measure fills in the rest.
type Report struct {
	// Problems say, in words, what Judge found wrong; empty for a recording that is fine.
	Problems   []string `json:"problems"`
	MeasuredAt int64    `json:"measuredAt,omitempty"` // Unix milliseconds; 0 while pending
	// DurationMs is the file's duration; WallMs how long it was recorded for by the clock, from
	// its first frame to its end (0: unknown); GapsMs the part of that missing by design (a
	// crash's restart, recording toggled off).
	DurationMs int64 `json:"durationMs"`
	WallMs     int64 `json:"wallMs,omitempty"`
	GapsMs     int64 `json:"gapsMs,omitempty"`
	// Width and Height are the video's; the requested ones the session's (0: none, as for audio).
	Width           int `json:"width,omitempty"`
	Height          int `json:"height,omitempty"`
	RequestedWidth  int `json:"requestedWidth,omitempty"`
	RequestedHeight int `json:"requestedHeight,omitempty"`
	// FPS is the frames the file holds a second over its duration; RequestedFPS the capture's rate.
	FPS          float64 `json:"fps,omitempty"`
	RequestedFPS float64 `json:"requestedFps,omitempty"`
	// AVOffsetMs is how much later the video is than the audio (negative: earlier), from the
	// session's RTCP-based measurement (AVOffsetFrom "session", its average over the session),
	// or else from the file's stream start times ("file"); absent when neither is known.
	AVOffsetMs   *int64 `json:"avOffsetMs,omitempty"`
	AVOffsetFrom string `json:"avOffsetFrom,omitempty"`
	// HasVideo and HasAudio say which streams the file holds.
	HasVideo bool `json:"hasVideo"`
	HasAudio bool `json:"hasAudio"`
	// The spans found, each at least MinSpan long. Frozen spans leave out what is black.
	BlackSpans  []Span `json:"blackSpans"`
	FrozenSpans []Span `json:"frozenSpans"`
	SilentSpans []Span `json:"silentSpans"`
	// Participants holds, for an individual recording, its participant's own silences.
	Participants []Participant `json:"participants,omitempty"`
}

func seconds(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }

func millis(d time.Duration) int64 { return d.Milliseconds() }

// total is how long spans last together.
func total(spans []Span) time.Duration {
	var d time.Duration
	for _, s := range spans {
		d += s.Duration()
	}
	return d
}

// longest is the longest of spans (zero Span for none).
func longest(spans []Span) Span {
	var l Span
	for _, s := range spans {
		if s.Duration() > l.Duration() {
			l = s
		}
	}
	return l
}

// subtract is what of a is not covered by b; both sorted and each without overlaps.
func subtract(a, b []Span) []Span {
	var out []Span
	for _, s := range a {
		cur := s
		for _, c := range b {
			if c.End <= cur.Start || c.Start >= cur.End {
				continue
			}
			if c.Start > cur.Start {
				out = append(out, Span{Start: cur.Start, End: c.Start})
			}
			cur.Start = c.End
			if cur.Start >= cur.End {
				break
			}
		}
		if cur.End > cur.Start {
			out = append(out, cur)
		}
	}
	return out
}

// atLeast keeps the spans lasting min or longer.
func atLeast(spans []Span, shortest time.Duration) []Span {
	out := []Span{}
	for _, s := range spans {
		if s.Duration() >= shortest {
			out = append(out, s)
		}
	}
	return out
}
