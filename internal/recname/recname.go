// Package recname is how recording files are named, in one place: the worker makes the names,
// the controller and the participant recorder read them back. Every name is a flat file name
// (a storage key) in the streams directory.
//
//   - a session's recording: {streamId}-{YYYYMMDD}-{HHMMSS}.{ext}, dated by its first frame (UTC);
//   - a name taken already gets _2, _3 … before its extension;
//   - the join of a session's parts: {stem}-merged.{ext};
//   - an HLS recording {stem}: its playlist {stem}.m3u8, init segment {stem}_init.mp4 and media
//     segments {stem}_00001.m4s …;
//   - a participant's audio: {room}-{participantId}-{YYYYMMDD}-{HHMMSSmmm}.mp3;
//   - the timeline of a room recording {file} (its full name, extension included):
//     {file}.timeline.json (events) and {file}.timeline.vtt (WebVTT chapters);
//   - a room's raw recording {stem} = {room}-{YYYYMMDD}-{HHMMSSmmm}: its manifest {stem}.raw.json
//     and each publication's file {stem}.raw-{NNN}.{mkv|ogg}, numbered from 1 in joining order.
package recname

import (
	"fmt"
	"strings"
	"time"
)

const (
	stamp    = "20060102-150405"     // a session recording's date and second
	legStamp = "20060102-150405.000" // a participant's audio: to the millisecond, written without the dot
	// MergedSuffix ends the stem of the join of a session's parts.
	MergedSuffix = "-merged"
	// Playlist, InitSegment and SegmentExt end an HLS recording's files.
	Playlist    = ".m3u8"
	InitSegment = "_init.mp4"
	SegmentExt  = ".m4s"
	// TimelineJSON and TimelineVTT end the names of a recording's timeline files.
	TimelineJSON = ".timeline.json"
	TimelineVTT  = ".timeline.vtt"
	// RawManifestExt ends a raw recording's manifest; RawTrackMark comes before the number
	// of a publication's file in it.
	RawManifestExt = ".raw.json"
	RawTrackMark   = ".raw-"
)

// Format is the stem (the name without its extension) of a recording of streamID begun at began.
func Format(streamID string, began time.Time) string {
	return streamID + "-" + began.UTC().Format(stamp)
}

// Parse reads a stem made by Format back into its stream id and the second it began.
func Parse(stem string) (streamID string, began time.Time, err error) {
	return parseStamped(stem, stamp)
}

// Leg is the stem of a participant's audio from one join.
func Leg(room, participant string, joined time.Time) string {
	return room + "-" + participant + "-" + strings.Replace(joined.UTC().Format(legStamp), ".", "", 1)
}

// ParseLeg reads a stem made by Leg back into "{room}-{participant}" (ids may hold '-', so
// the two are not told apart) and the millisecond the join's recording began.
func ParseLeg(stem string) (roomAndParticipant string, joined time.Time, err error) {
	const ms = 3 // the milliseconds' digits, after the dot that is left out
	if len(stem) < ms {
		return "", time.Time{}, fmt.Errorf("recording name %q does not end in a time to the millisecond", stem)
	}
	cut := len(stem) - ms
	return parseStamped(stem[:cut]+"."+stem[cut:], legStamp)
}

func parseStamped(stem, layout string) (string, time.Time, error) {
	n := len(stem) - len(layout)
	if n < 2 || stem[n-1] != '-' {
		return "", time.Time{}, fmt.Errorf("recording name %q does not end in -%s", stem, layout)
	}
	t, err := time.Parse(layout, stem[n:])
	if err != nil {
		return "", time.Time{}, fmt.Errorf("recording name %q: %w", stem, err)
	}
	if t.Format(layout) != stem[n:] {
		return "", time.Time{}, fmt.Errorf("recording name %q: the date is not written as %s", stem, layout)
	}
	return stem[:n-1], t, nil
}

// Merged is the stem of the join of the parts whose first part's stem is first.
func Merged(first string) string { return first + MergedSuffix }

// Taken is name with the n-th free choice marked before its extension (n ≥ 2): a.mp4 → a_2.mp4.
func Taken(name string, n int) string {
	stem, ext := SplitExt(name)
	return fmt.Sprintf("%s_%d%s", stem, n, ext)
}

// SplitExt cuts a file name into its stem and its extension (with the dot; "" when none).
func SplitExt(name string) (stem, ext string) {
	if i := strings.LastIndexByte(name, '.'); i > 0 {
		return name[:i], name[i:]
	}
	return name, ""
}

// PlaylistName is the playlist of the HLS recording stem.
func PlaylistName(stem string) string { return stem + Playlist }

// InitName is the init segment of the HLS recording stem.
func InitName(stem string) string { return stem + InitSegment }

// SegmentPattern is the printf pattern of the HLS recording stem's media segments.
func SegmentPattern(stem string) string { return stem + "_%05d" + SegmentExt }

// IsHLSFile tells whether file belongs to the HLS recording stem: its playlist or a segment.
func IsHLSFile(stem, file string) bool {
	if file == PlaylistName(stem) || file == InitName(stem) {
		return true
	}
	n, ok := strings.CutPrefix(file, stem+"_")
	if !ok {
		return false
	}
	n, ok = strings.CutSuffix(n, SegmentExt)
	return ok && n != "" && strings.Trim(n, "0123456789") == ""
}

// PlaylistOf is the playlist an HLS segment belongs to; any other file is its own.
func PlaylistOf(file string) string {
	if stem, ok := strings.CutSuffix(file, InitSegment); ok && stem != "" {
		return PlaylistName(stem)
	}
	if rest, ok := strings.CutSuffix(file, SegmentExt); ok {
		if i := strings.LastIndexByte(rest, '_'); i > 0 && strings.Trim(rest[i+1:], "0123456789") == "" && i+1 < len(rest) {
			return PlaylistName(rest[:i])
		}
	}
	return file
}

// Timeline names the timeline files of the recording file: its events (JSON) and its
// chapters (WebVTT).
func Timeline(file string) (events, chapters string) {
	return file + TimelineJSON, file + TimelineVTT
}

// TimelineOf is the recording a timeline file belongs to; ok is false for any other file.
func TimelineOf(file string) (recording string, ok bool) {
	for _, suffix := range []string{TimelineJSON, TimelineVTT} {
		if rec, found := strings.CutSuffix(file, suffix); found && rec != "" {
			return rec, true
		}
	}
	return "", false
}

// RecordingOf is the recording file a stored file belongs to: a timeline's recording, an HLS
// segment's playlist, a raw publication's manifest, or the file itself.
func RecordingOf(file string) string {
	if rec, ok := TimelineOf(file); ok {
		return rec
	}
	if manifest, ok := RawOf(file); ok {
		return manifest
	}
	return PlaylistOf(file)
}

// Raw is the stem of a room's raw recording begun at began: named like a participant's audio,
// to the millisecond, as a room may be recorded again within a second.
func Raw(room string, began time.Time) string { return Leg(room, "raw", began) }

// RawManifest is the manifest of the raw recording stem.
func RawManifest(stem string) string { return stem + RawManifestExt }

// RawTrack is the file of the n-th publication (n ≥ 1) of the raw recording stem; ext is its
// container's extension with the dot (".mkv", ".ogg").
func RawTrack(stem string, n int, ext string) string {
	return fmt.Sprintf("%s%s%03d%s", stem, RawTrackMark, n, ext)
}

// RawOf is the manifest a raw publication's file belongs to; ok is false for any other file.
func RawOf(file string) (manifest string, ok bool) {
	stem, ext := SplitExt(file)
	if ext != ".mkv" && ext != ".ogg" {
		return "", false
	}
	i := strings.LastIndex(stem, RawTrackMark)
	if i <= 0 {
		return "", false
	}
	n := stem[i+len(RawTrackMark):]
	if len(n) < 3 || strings.Trim(n, "0123456789") != "" {
		return "", false
	}
	return RawManifest(stem[:i]), true
}
