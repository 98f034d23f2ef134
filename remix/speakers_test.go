package remix

import (
	"slices"
	"strings"
	"testing"

	"mediapush/raw"
)

// levels is a level series of n windows at v from window from on, silent before.
func levels(n, from int, v float64) []float64 {
	l := make([]float64, n)
	for i := from; i < n; i++ {
		l[i] = v
	}
	return l
}

func TestActiveSpeakers(t *testing.T) {
	quiet := levels(50, 0, 0.005) // heard, but under the threshold
	cases := []struct {
		name   string
		series []levelSeries
		end    int64
		want   []SpeakerChange
	}{
		{"one speaker from the start", []levelSeries{{StreamID: "a", LeftMs: 10000, Levels: levels(50, 0, 0.1)}}, 10000,
			[]SpeakerChange{{200, "a"}}},
		{"nobody above the threshold", []levelSeries{{StreamID: "a", LeftMs: 10000, Levels: quiet}}, 10000, nil},
		{"the loudest wins", []levelSeries{
			{StreamID: "a", LeftMs: 10000, Levels: levels(50, 0, 0.05)},
			{StreamID: "b", LeftMs: 10000, Levels: levels(50, 0, 0.1)}}, 10000,
			[]SpeakerChange{{200, "b"}}},
		{"a louder speaker later", []levelSeries{
			{StreamID: "a", LeftMs: 10000, Levels: levels(50, 0, 0.05)},
			{StreamID: "b", LeftMs: 10000, Levels: levels(50, 15, 0.1)}}, 10000,
			[]SpeakerChange{{200, "a"}, {3200, "b"}}},
		{"a change waits a second after the last", []levelSeries{
			{StreamID: "a", LeftMs: 10000, Levels: levels(50, 0, 0.05)},
			{StreamID: "b", LeftMs: 10000, Levels: levels(50, 2, 0.1)}}, 10000,
			// b is loudest from the tick at 600; the second since 200 is over after 1200.
			[]SpeakerChange{{200, "a"}, {1400, "b"}}},
		{"silence keeps the speaker", []levelSeries{
			{StreamID: "a", LeftMs: 10000, Levels: append(levels(5, 0, 0.1), make([]float64, 45)...)}}, 10000,
			[]SpeakerChange{{200, "a"}}},
		{"a speaker leaving is a change, and the next waits a second", []levelSeries{
			{StreamID: "a", LeftMs: 2500, Levels: levels(50, 0, 0.1)},
			{StreamID: "b", LeftMs: 10000, Levels: levels(50, 0, 0.05)}}, 10000,
			[]SpeakerChange{{200, "a"}, {2500, ""}, {3600, "b"}}},
		{"levels before the join are not metered", []levelSeries{
			{StreamID: "a", LeftMs: 10000, Levels: levels(50, 0, 0.05)},
			{StreamID: "b", JoinedMs: 2000, LeftMs: 10000, Levels: levels(50, 0, 0.1)}}, 10000,
			[]SpeakerChange{{200, "a"}, {2200, "b"}}},
		{"someone else leaving changes nothing", []levelSeries{
			{StreamID: "a", LeftMs: 10000, Levels: levels(50, 0, 0.1)},
			{StreamID: "b", LeftMs: 3000, Levels: levels(50, 0, 0.05)}}, 10000,
			[]SpeakerChange{{200, "a"}}},
		{"the end is no leave", []levelSeries{{StreamID: "a", LeftMs: 1000, Levels: levels(5, 0, 0.1)}}, 1000,
			[]SpeakerChange{{200, "a"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := activeSpeakers(c.series, c.end); !slices.Equal(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestSpeakers(t *testing.T) {
	ctx := testContext(t)
	src := t.TempDir()
	// a speaks loud for 3 s and leaves; b speaks quieter from 1 s to the end.
	ffmpegFixture(t, src, "a.ogg", "-f", "lavfi", "-i", "sine=f=440:r=48000:d=3", "-af", "volume=2.4",
		"-c:a", "libopus", "-f", "ogg")
	ffmpegFixture(t, src, "b.mkv", "-f", "lavfi", "-i", colorSource("blue", 160, 120, 5), "-f", "lavfi", "-i", "sine=f=660:r=48000:d=5",
		"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "libopus", "-f", "matroska")
	m := raw.Manifest{Version: raw.ManifestVersion, EndedMs: ms(6000), Publications: []raw.Publication{
		{StreamID: "a", Kind: raw.AudioOnly, File: "a.ogg", Audio: "opus", JoinedMs: 0, LeftMs: ms(3000), MediaStartMs: ms(0)},
		{StreamID: "b", Kind: raw.Camera, File: "b.mkv", Video: "h264", Audio: "opus", JoinedMs: 900, MediaStartMs: ms(1000)},
	}}
	got, err := Speakers(ctx, m, src)
	if err != nil {
		t.Fatal(err)
	}
	want := []SpeakerChange{{200, "a"}, {3000, ""}, {4200, "b"}}
	if !slices.Equal(got, want) {
		t.Errorf("speakers %v, want %v", got, want)
	}

	m.Publications[1].File = "gone.mkv"
	if _, err := Speakers(ctx, m, src); err == nil || !strings.Contains(err.Error(), "gone.mkv") {
		t.Errorf("a missing file: error %v, want one naming gone.mkv", err)
	}
}
