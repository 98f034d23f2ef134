package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"mediapush/internal/mediacheck"
)

// toggle calls PUT broadcasts/{id}/recording/{onoff}[?query] and returns the HTTP status with
// the Result.
func (s *service) toggle(streamID, onoff, query string) (int, result) {
	s.t.Helper()
	path := "/live/rest/v2/broadcasts/" + streamID + "/recording/" + onoff
	if query != "" {
		path += "?" + query
	}
	resp, out := s.do(http.MethodPut, path, nil)
	var r result
	if err := json.Unmarshal(out, &r); err != nil {
		s.t.Fatalf("PUT %s: answer is not a Result: %s", path, out)
	}
	return resp.StatusCode, r
}

// chapter is one chapter of a file as ffprobe shows it.
type chapter struct {
	Start time.Duration
	End   time.Duration
	Title string
}

// chapters reads a file's chapters with ffprobe, as a player's chapter menu would.
func chapters(t *testing.T, path string) []chapter {
	t.Helper()
	out, err := exec.Command(mediacheck.FFprobe, "-v", "error", "-show_chapters", "-of", "json", path).Output()
	if err != nil {
		t.Fatalf("ffprobe -show_chapters %s: %v", path, err)
	}
	var p struct {
		Chapters []struct {
			StartTime string            `json:"start_time"`
			EndTime   string            `json:"end_time"`
			Tags      map[string]string `json:"tags"`
		} `json:"chapters"`
	}
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatalf("ffprobe -show_chapters %s: %v: %s", path, err, out)
	}
	secs := func(s string) time.Duration {
		f, _ := strconv.ParseFloat(s, 64)
		return time.Duration(f * float64(time.Second))
	}
	var cs []chapter
	for _, c := range p.Chapters {
		cs = append(cs, chapter{secs(c.StartTime), secs(c.EndTime), c.Tags["title"]})
	}
	return cs
}

// pauseIn is the pause a chapter's title states ("… after a 2.1 s pause").
var pauseIn = regexp.MustCompile(`after a (\d+\.\d) s pause`)

// closeTo reports whether got is want ± tol.
func closeTo(got, want, tol time.Duration) bool { return (got - want).Abs() <= tol }

// TestRecordingToggles turns the recording of a session off and on twice (Ant Media's
// recording toggle) while it records MP4 and MP3: each stretch is its own pair of files,
// listed as soon as it is turned off; at stop each format's parts are also merged into one
// file whose chapters mark the pauses. Misplaced toggles are refused with a reason.
func TestRecordingToggles(t *testing.T) {
	s := startService(t)
	const id = "toggles"
	r := s.start(id, map[string]any{"url": s.page("test-pattern.html?freq=440"), "width": 640, "height": 360, "recordType": "mp4,mp3"})
	on1 := time.Now() // start answers once the first frame is in: recording from there
	if !r.Success {
		t.Fatalf("start: %s", r.msg())
	}

	// off turns the recording off and checks that the answer names the finished MP4 and MP3,
	// already listed as VoDs. It returns their names and the moment it was asked.
	off := func(part int) ([]string, time.Time) {
		t.Helper()
		asked := time.Now()
		code, r := s.toggle(id, "false", "")
		took := time.Since(asked)
		if code != http.StatusOK || !r.Success {
			t.Fatalf("part %d: recording/false: HTTP %d %q", part, code, r.msg())
		}
		var names []string
		for _, f := range strings.Split(r.msg(), ",") {
			name, ok := strings.CutPrefix(f, "streams/")
			if !ok {
				t.Errorf("part %d: recording/false answered %q: want streams/… files", part, r.msg())
			}
			names = append(names, name)
		}
		var exts []string
		listed := map[string]vod{}
		for _, v := range s.vods() {
			listed[v.VodName] = v
		}
		for _, n := range names {
			exts = append(exts, n[strings.LastIndex(n, ".")+1:])
			if v, ok := listed[n]; !ok || v.StreamID != id || v.Merged || v.Duration <= 0 {
				t.Errorf("part %d: %s right after recording/false: listed %v as %+v", part, n, ok, v)
			}
		}
		if slices.Sort(exts); !slices.Equal(exts, []string{"mp3", "mp4"}) {
			t.Errorf("part %d: recording/false answered %q: want an mp4 and an mp3", part, r.msg())
		}
		t.Logf("part %d: recording/false answered in %s: %s", part, took.Round(time.Millisecond), r.msg())
		return names, asked
	}
	// on turns the recording on; it starts at the next keyframe, a moment after the answer.
	on := func(part int) time.Time {
		t.Helper()
		if code, r := s.toggle(id, "true", ""); code != http.StatusOK || !r.Success {
			t.Fatalf("part %d: recording/true: HTTP %d %q", part, code, r.msg())
		}
		return time.Now()
	}

	time.Sleep(3 * time.Second)
	part1, off1 := off(1)
	if b := s.broadcast(id); b.State != "ACTIVE" {
		t.Errorf("session while not recording: %+v", b)
	}
	if code, r := s.toggle(id, "false", ""); r.Success || code != http.StatusConflict || !strings.Contains(r.msg(), "not recording") {
		t.Errorf("recording/false twice: HTTP %d %q; want 409, not recording", code, r.msg())
	}
	time.Sleep(2 * time.Second)

	on2 := on(2)
	if code, r := s.toggle(id, "true", ""); r.Success || code != http.StatusConflict || !strings.Contains(r.msg(), "recording already") {
		t.Errorf("recording/true while recording: HTTP %d %q; want 409, recording already", code, r.msg())
	}
	if code, r := s.toggle(id, "true", "recordType=hls"); r.Success || code < 400 || !strings.Contains(r.msg(), "hls") {
		t.Errorf("recording/true?recordType=hls: HTTP %d %q; want a refusal naming hls", code, r.msg())
	}
	if code, r := s.toggle(id, "true", "recordType=avi"); r.Success || code != http.StatusBadRequest || !strings.Contains(r.msg(), `"avi" is not supported`) {
		t.Errorf("recording/true?recordType=avi: HTTP %d %q; want 400", code, r.msg())
	}
	if code, r := s.toggle(id, "maybe", ""); r.Success || code != http.StatusBadRequest || !strings.Contains(r.msg(), "say true or false") {
		t.Errorf("recording/maybe: HTTP %d %q; want 400", code, r.msg())
	}
	time.Sleep(time.Until(on2.Add(3 * time.Second)))
	part2, off2 := off(2)

	on3 := on(3) // at once: a pause of about the time recording/false takes to answer
	time.Sleep(2 * time.Second)
	stopAt := time.Now()
	if r := s.stop(id); !r.Success {
		t.Fatalf("stop: %s", r.msg())
	}
	for _, onoff := range []string{"true", "false"} {
		for _, sid := range []string{"nobody", id} {
			if code, r := s.toggle(sid, onoff, ""); r.Success || code != http.StatusNotFound ||
				!strings.Contains(r.msg(), "no session with stream id "+sid+" is running") {
				t.Errorf("recording/%s on %s: HTTP %d %q; want 404, not running", onoff, sid, code, r.msg())
			}
		}
	}

	// What the stream left: three parts of each format and one merged file of each.
	wantPart := []time.Duration{off1.Sub(on1), off2.Sub(on2), stopAt.Sub(on3)}
	wantPause := []time.Duration{on2.Sub(off1), on3.Sub(off2)}
	t.Logf("recorded %v with pauses of %v", roundAll(wantPart), roundAll(wantPause))
	partOf := map[string]int{}
	for _, n := range part1 {
		partOf[n] = 1
	}
	for _, n := range part2 {
		partOf[n] = 2
	}
	parts := map[string][]vod{} // by format, in recording order
	merged := map[string]vod{}
	for _, v := range s.vods() {
		if v.StreamID != id {
			continue
		}
		switch {
		case v.Merged:
			if _, dup := merged[v.Format]; dup || !strings.HasSuffix(v.VodName, "-merged."+v.Format) {
				t.Errorf("merged VoD %+v (another: %v)", v, dup)
			}
			merged[v.Format] = v
		default:
			parts[v.Format] = append(parts[v.Format], v)
		}
	}
	for _, f := range []string{"mp4", "mp3"} {
		if len(parts[f]) != 3 {
			t.Fatalf("%d %s parts, want 3: %+v", len(parts[f]), f, parts[f])
		}
		if _, ok := merged[f]; !ok {
			t.Fatalf("no merged %s; VoDs: %+v", f, s.vods())
		}
		// The third part is the one no recording/false answer named.
		slices.SortStableFunc(parts[f], func(a, b vod) int { return orThree(partOf[a.VodName]) - orThree(partOf[b.VodName]) })
		for i, v := range parts[f] {
			if p := orThree(partOf[v.VodName]); p != i+1 || v.Partial {
				t.Errorf("%s parts in order: %+v (part %d at %d)", f, parts[f], p, i+1)
			}
		}
	}

	// Each part lasts the time between its toggles.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var sum = map[string]time.Duration{}
	for i, v := range parts["mp4"] {
		info := checkRecording(t, s.download(v), "h264", "aac", 640, 360, wantPart[i], 25)
		sum["mp4"] += info.Duration
	}
	for i, v := range parts["mp3"] {
		info, err := mediacheck.Probe(ctx, s.download(v))
		if err != nil || info.Video != nil || info.Audio == nil || info.Audio.Codec != "mp3" {
			t.Fatalf("mp3 part %d: %+v %v", i+1, info, err)
		}
		if !closeTo(info.Duration, wantPart[i], 500*time.Millisecond) {
			t.Errorf("mp3 part %d lasts %s, recorded for %s", i+1, info.Duration, wantPart[i].Round(time.Millisecond))
		}
		sum["mp3"] += info.Duration
		t.Logf("%s: %s (recorded for %s)", v.VodName, info.Duration, wantPart[i].Round(time.Millisecond))
	}

	// The merged MP4: the parts back to back, whole, one chapter each, the pauses named.
	mp4 := s.download(merged["mp4"])
	if err := mediacheck.Decodes(ctx, mp4); err != nil {
		t.Errorf("the merged mp4 does not decode cleanly: %v", err)
	}
	info, err := mediacheck.Probe(ctx, mp4)
	if err != nil || info.Video == nil || info.Audio == nil {
		t.Fatalf("merged mp4: %+v %v", info, err)
	}
	if !closeTo(info.Duration, sum["mp4"], 500*time.Millisecond) || !closeTo(time.Duration(merged["mp4"].Duration)*time.Millisecond, sum["mp4"], 500*time.Millisecond) {
		t.Errorf("merged mp4 lasts %s (VoD says %d ms), its parts %s", info.Duration, merged["mp4"].Duration, sum["mp4"])
	}
	if info.Video.FPS < 25 {
		t.Errorf("merged mp4 at %.1f fps, want ≥ 25", info.Video.FPS)
	}
	t.Logf("%s: %s %.2f fps, %s (parts %s), %d bytes", merged["mp4"].VodName, info.Video.Codec, info.Video.FPS, info.Duration, sum["mp4"], info.Size)
	cs := chapters(t, mp4)
	if len(cs) != 3 {
		t.Fatalf("merged mp4 has %d chapters, want 3: %+v", len(cs), cs)
	}
	var at time.Duration
	for i, c := range cs {
		t.Logf("chapter %d: %s–%s %q", i+1, c.Start.Round(time.Millisecond), c.End.Round(time.Millisecond), c.Title)
		if !closeTo(c.Start, at, 100*time.Millisecond) || !closeTo(c.End-c.Start, wantPart[i], 500*time.Millisecond) {
			t.Errorf("chapter %d spans %s–%s; want from %s, lasting about %s", i+1, c.Start, c.End, at, wantPart[i].Round(time.Millisecond))
		}
		at = c.End
		m := pauseIn.FindStringSubmatch(c.Title)
		if i == 0 {
			if m != nil || !strings.Contains(c.Title, "Part 1") {
				t.Errorf("chapter 1 is titled %q: want Part 1 and no pause", c.Title)
			}
			continue
		}
		if m == nil || !strings.Contains(c.Title, fmt.Sprintf("Part %d", i+1)) {
			t.Errorf("chapter %d is titled %q: want Part %d after a N.N s pause", i+1, c.Title, i+1)
			continue
		}
		pause, _ := strconv.ParseFloat(m[1], 64)
		if got := time.Duration(pause * float64(time.Second)); !closeTo(got, wantPause[i-1], 500*time.Millisecond) {
			t.Errorf("chapter %d says a %s pause; it was %s", i+1, got, wantPause[i-1].Round(time.Millisecond))
		}
	}

	// The merged MP3: its parts back to back, with the page's tone.
	mp3 := s.download(merged["mp3"])
	if err := mediacheck.Decodes(ctx, mp3); err != nil {
		t.Errorf("the merged mp3 does not decode cleanly: %v", err)
	}
	info, err = mediacheck.Probe(ctx, mp3)
	if err != nil || info.Audio == nil || info.Audio.Codec != "mp3" {
		t.Fatalf("merged mp3: %+v %v", info, err)
	}
	if !closeTo(info.Duration, sum["mp3"], 500*time.Millisecond) {
		t.Errorf("merged mp3 lasts %s, its parts %s", info.Duration, sum["mp3"])
	}
	tone, err := mediacheck.ToneLevel(ctx, mp3, 440, 0, 0)
	if err != nil || tone < -30 {
		t.Errorf("merged mp3: the page's 440 Hz tone at %.1f dB (%v)", tone, err)
	}
	t.Logf("%s: %s (parts %s), 440 Hz at %.1f dB", merged["mp3"].VodName, info.Duration, sum["mp3"], tone)
}

// orThree maps the parts no recording/false named (0) to the third.
func orThree(p int) int {
	if p == 0 {
		return 3
	}
	return p
}

func roundAll(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Round(time.Millisecond)
	}
	return out
}
