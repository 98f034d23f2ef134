package recname

import (
	"strings"
	"testing"
	"time"
)

func TestFormatParseRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		id    string
		began time.Time
		want  string
	}{
		{"s1", time.Date(2026, 11, 21, 20, 36, 12, 0, time.UTC), "s1-20261121-203612"},
		{"room1_composite", time.Date(2026, 1, 2, 3, 4, 5, 999e6, time.UTC), "room1_composite-20260102-030405"},
		{"a-b-20260101-000000", time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC), "a-b-20260101-000000-20261231-235959"},
		{"conf_mix_default", time.Date(2026, 6, 1, 14, 0, 0, 0, time.FixedZone("CEST", 2*3600)), "conf_mix_default-20260601-120000"},
	} {
		got := Format(tc.id, tc.began)
		if got != tc.want {
			t.Errorf("Format(%q, %v) = %q, want %q", tc.id, tc.began, got, tc.want)
		}
		id, began, err := Parse(got)
		if err != nil || id != tc.id || !began.Equal(tc.began.UTC().Truncate(time.Second)) {
			t.Errorf("Parse(%q) = %q, %v, %v; want %q, %v", got, id, began, err, tc.id, tc.began.UTC().Truncate(time.Second))
		}
	}
}

func TestParseRefuses(t *testing.T) {
	for _, stem := range []string{
		"", "s1", "-20261121-203612", "s1-20261121-203612.mp4", "s1-20261121-203612_2", "s1-20261121-203612-merged",
		"s1-20261321-203612", "s1-2026112-2036120", "s120261121-203612", "s1-20261121_203612", "s1-20261121-20361a",
		"s1-20261121-246012",
	} {
		if id, _, err := Parse(stem); err == nil {
			t.Errorf("Parse(%q) = %q, want an error", stem, id)
		}
	}
}

func TestLegRoundTrip(t *testing.T) {
	joined := time.Date(2026, 11, 21, 20, 36, 12, 345e6, time.UTC)
	stem := Leg("room-1", "alice_2", joined)
	if stem != "room-1-alice_2-20261121-203612345" {
		t.Fatalf("Leg = %q", stem)
	}
	who, at, err := ParseLeg(stem)
	if err != nil || who != "room-1-alice_2" || !at.Equal(joined) {
		t.Errorf("ParseLeg(%q) = %q, %v, %v", stem, who, at, err)
	}
	if _, _, err := ParseLeg(Format("s1", joined)); err == nil {
		t.Errorf("ParseLeg took a session recording's name")
	}
}

func TestHLSNames(t *testing.T) {
	stem := Format("s_1", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	belongs := []string{PlaylistName(stem), InitName(stem), stem + "_00001.m4s", stem + "_123456.m4s"}
	for _, f := range belongs {
		if !IsHLSFile(stem, f) {
			t.Errorf("IsHLSFile(%q, %q) = false", stem, f)
		}
		if got := PlaylistOf(f); got != PlaylistName(stem) {
			t.Errorf("PlaylistOf(%q) = %q, want %q", f, got, PlaylistName(stem))
		}
	}
	for _, f := range []string{stem + ".mp4", stem + "_.m4s", stem + "_x1.m4s", stem + "_2.m3u8", "s_1.m3u8", stem + "x_00001.m4s"} {
		if IsHLSFile(stem, f) {
			t.Errorf("IsHLSFile(%q, %q) = true", stem, f)
		}
	}
	for _, f := range []string{"a.mp4", "a_2.mp4", "_init.mp4", "x.m4s", "_1.m4s"} {
		if got := PlaylistOf(f); got != f {
			t.Errorf("PlaylistOf(%q) = %q, want itself", f, got)
		}
	}
}

func TestTakenAndMerged(t *testing.T) {
	if got := Taken("a-20260101-000000.mp4", 2); got != "a-20260101-000000_2.mp4" {
		t.Errorf("Taken = %q", got)
	}
	if got := Taken("noext", 3); got != "noext_3" {
		t.Errorf("Taken without extension = %q", got)
	}
	if got := Merged("a-20260101-000000") + ".webm"; got != "a-20260101-000000-merged.webm" {
		t.Errorf("Merged = %q", got)
	}
}

// Whatever a file name holds, reading it back neither panics nor yields a stem that Format
// would not give back.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"s1-20261121-203612", "", "-", "a--20261121-203612", "x-99999999-999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, stem string) {
		id, began, err := Parse(stem)
		if err != nil {
			return
		}
		if Format(id, began) != stem {
			t.Errorf("Parse(%q) = %q, %v, which Format writes as %q", stem, id, began, Format(id, began))
		}
		_ = PlaylistOf(stem)
	})
}

func TestTimelineNames(t *testing.T) {
	events, chapters := Timeline("room1_composite-20261121-203612.mp4")
	if events != "room1_composite-20261121-203612.mp4.timeline.json" || chapters != "room1_composite-20261121-203612.mp4.timeline.vtt" {
		t.Errorf("Timeline = %q, %q", events, chapters)
	}
	for _, f := range []string{events, chapters} {
		if rec, ok := TimelineOf(f); !ok || rec != "room1_composite-20261121-203612.mp4" || RecordingOf(f) != rec {
			t.Errorf("TimelineOf(%q) = %q, %v; RecordingOf = %q", f, rec, ok, RecordingOf(f))
		}
	}
	hlsEvents, _ := Timeline("r-20261121-203612.m3u8")
	if RecordingOf(hlsEvents) != "r-20261121-203612.m3u8" || RecordingOf("r-20261121-203612_00002.m4s") != "r-20261121-203612.m3u8" {
		t.Errorf("RecordingOf an HLS recording's timeline and segment")
	}
	for _, f := range []string{".timeline.json", ".timeline.vtt", "a.mp4", "a.timeline.txt"} {
		if rec, ok := TimelineOf(f); ok {
			t.Errorf("TimelineOf(%q) = %q, true: not a timeline", f, rec)
		}
	}
}

func FuzzTimeline(f *testing.F) {
	for _, s := range []string{"r-20261121-203612.mp4", "x.m3u8", "", ".timeline.json", "a.timeline.vtt.timeline.json"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, file string) {
		events, chapters := Timeline(file)
		if file != "" {
			for _, name := range []string{events, chapters} {
				if rec, ok := TimelineOf(name); !ok || rec != file || RecordingOf(name) != file {
					t.Errorf("Timeline(%q) gives %q, read back as %q, %v", file, name, rec, ok)
				}
			}
		}
		if rec, ok := TimelineOf(file); ok && (rec == "" || len(rec) >= len(file)) {
			t.Errorf("TimelineOf(%q) = %q", file, rec)
		}
	})
}

func TestRawNames(t *testing.T) {
	began := time.Date(2026, 12, 3, 10, 4, 5, 678_000_000, time.UTC)
	stem := Raw("room1", began)
	if stem != "room1-raw-20261203-100405678" {
		t.Errorf("Raw = %q", stem)
	}
	if rest, at, err := ParseLeg(stem); err != nil || rest != "room1-raw" || !at.Equal(began) {
		t.Errorf("ParseLeg(%q) = %q, %v, %v", stem, rest, at, err)
	}
	manifest := RawManifest(stem)
	for _, f := range []string{RawTrack(stem, 1, ".mkv"), RawTrack(stem, 12, ".ogg"), RawTrack(stem, 1234, ".mkv")} {
		if m, ok := RawOf(f); !ok || m != manifest || RecordingOf(f) != manifest {
			t.Errorf("RawOf(%q) = %q, %v; RecordingOf = %q; want %q", f, m, ok, RecordingOf(f), manifest)
		}
	}
	if f := RawTrack(stem, 3, ".mkv"); f != "room1-raw-20261203-100405678.raw-003.mkv" {
		t.Errorf("RawTrack = %q", f)
	}
	for _, f := range []string{"a.mkv", ".raw-001.mkv", "a.raw-01.mkv", "a.raw-001.mp4", "a.raw-0x1.mkv", "a.raw-001", manifest} {
		if m, ok := RawOf(f); ok {
			t.Errorf("RawOf(%q) = %q, true: not a raw publication's file", f, m)
		}
	}
	if RecordingOf(manifest) != manifest {
		t.Errorf("RecordingOf(%q) = %q", manifest, RecordingOf(manifest))
	}
}

func FuzzRaw(f *testing.F) {
	for _, s := range []string{"room1-raw-20261203-100405678", "", "a.raw-001", "x.raw-"} {
		f.Add(s, 1, true)
	}
	f.Fuzz(func(t *testing.T, stem string, n int, video bool) {
		ext := ".ogg"
		if video {
			ext = ".mkv"
		}
		if stem != "" && n >= 1 && n < 1_000_000 {
			file := RawTrack(stem, n, ext)
			if m, ok := RawOf(file); !ok || m != RawManifest(stem) || RecordingOf(file) != m {
				t.Errorf("RawTrack(%q, %d) = %q, read back as %q, %v", stem, n, file, m, ok)
			}
		}
		if m, ok := RawOf(stem + ext); ok && (!strings.HasSuffix(m, RawManifestExt) || len(m) > len(stem)+len(RawManifestExt)) {
			t.Errorf("RawOf(%q) = %q", stem+ext, m)
		}
	})
}
