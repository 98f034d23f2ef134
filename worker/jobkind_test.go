package worker

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mediapush/recorder"
)

func TestJobCheckKinds(t *testing.T) {
	good := []Job{
		{StreamID: "s1"},
		{StreamID: "s1", Kind: KindPush},
		{StreamID: "room1_composite", Kind: KindRoom, Room: "room1"},
		{StreamID: "any-name", Kind: KindRoom, Room: "r"},
		{StreamID: "c_mix_default", Kind: KindMix, Conference: "c", MixID: "default"},
		{StreamID: "c_rtmp_default", Kind: KindMixRTMP, Conference: "c", MixID: "default"},
	}
	for _, j := range good {
		if err := j.Check(); err != nil {
			t.Errorf("%+v: %v", j, err)
		}
	}
	bad := []struct {
		job  Job
		says string
	}{
		{Job{StreamID: ""}, "streamId"},
		{Job{StreamID: "../x"}, "streamId"},
		{Job{StreamID: "a/b"}, "streamId"},
		{Job{StreamID: "s", Kind: "composite"}, "not known"},
		{Job{StreamID: "s", Kind: KindRoom}, "needs its room"},
		{Job{StreamID: "s", Kind: KindMix, Conference: "c"}, "needs its mixId"},
		{Job{StreamID: "s", Kind: KindMixRTMP, MixID: "m"}, "needs its conference"},
		{Job{StreamID: "s", Room: "r"}, "has no room"},
		{Job{StreamID: "s", Kind: KindRoom, Room: "r", MixID: "m"}, "has no mixId"},
		{Job{StreamID: "s", Kind: KindRoom, Room: "../r"}, "room"},
		{Job{StreamID: "s", Kind: KindMix, Conference: "c d", MixID: "m"}, "conference"},
	}
	for _, c := range bad {
		err := c.job.Check()
		if err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%+v: %v, want an error saying %q", c.job, err, c.says)
		}
	}
}

func TestJobKindTravels(t *testing.T) {
	j := Job{StreamID: "c_mix_m", Kind: KindMix, Conference: "c", MixID: "m", Width: 1920, Height: 1080}
	b, err := json.Marshal(j)
	if err != nil {
		t.Fatal(err)
	}
	var back Job
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Kind != KindMix || back.Conference != "c" || back.MixID != "m" || back.Room != "" {
		t.Errorf("the job's kind after a round trip: %s → %+v", b, back)
	}
	if (Job{}).Of() != KindPush {
		t.Errorf("a job without a kind is of kind %q, want %q", (Job{}).Of(), KindPush)
	}
}

// secretJob holds a credential in every place a job can carry one.
func secretJob() Job {
	return Job{StreamID: "room1_composite", Kind: KindRoom, Room: "room1",
		URL:   "http://127.0.0.1:5080/live/multitrack-play.html?id=room1&token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJyIn0.c2ln&layout=grid",
		Width: 1280, Height: 720, Record: []recorder.Format{recorder.MP4},
		Endpoints:      []string{"rtmp://live.example.com/app/SECRETKEY", "https://u:pw@whip.example.com/whip?token=WHIPTOKEN"},
		Token:          "PUBLISHTOKEN",
		JSCommand:      "login('SECRETPASS')",
		ChromeSwitches: "--user-agent=x?key=SWITCHKEY",
	}
}

func TestPublicJobHoldsNoSecret(t *testing.T) {
	j := secretJob()
	p := j.Public()
	b, _ := json.Marshal(p)
	for _, secret := range []string{"PUBLISHTOKEN", "eyJhbGciOiJIUzI1NiJ9", "SECRETKEY", "WHIPTOKEN", ":pw@", "SECRETPASS", "SWITCHKEY"} {
		if strings.Contains(string(b), secret) {
			t.Errorf("the public job holds %q: %s", secret, b)
		}
	}
	if p.StreamID != j.StreamID || p.Kind != KindRoom || p.Room != "room1" || p.Width != 1280 || len(p.Record) != 1 ||
		len(p.Endpoints) != 2 || !strings.HasPrefix(p.URL, "http://127.0.0.1:5080/live/multitrack-play.html?id=room1") {
		t.Errorf("the public job lost what is not secret: %+v", p)
	}
	if j.Token != "PUBLISHTOKEN" || !strings.Contains(j.Endpoints[0], "SECRETKEY") {
		t.Errorf("Public changed the job it was made from: %+v", j)
	}
}

// The STARTING event carries the job without its credentials; the session keeps them.
func TestStartingEventStripsSecrets(t *testing.T) {
	var events []Event
	w := &Worker{cfg: Config{OnEvent: func(ev Event) { events = append(events, ev) }}}
	s := newSession(w, secretJob())
	s.setState(Starting, "", nil)
	if len(events) != 1 || events[0].Job == nil {
		t.Fatalf("events %+v, want one STARTING event with its job", events)
	}
	b, _ := json.Marshal(events[0])
	for _, secret := range []string{"PUBLISHTOKEN", "eyJhbGciOiJIUzI1NiJ9", "SECRETKEY", "WHIPTOKEN", "SECRETPASS"} {
		if strings.Contains(string(b), secret) {
			t.Errorf("the STARTING event holds %q: %s", secret, b)
		}
	}
	if events[0].Job.Kind != KindRoom || events[0].Job.Room != "room1" {
		t.Errorf("the STARTING event's job lost its kind: %+v", events[0].Job)
	}
	if s.job.Token != "PUBLISHTOKEN" || !strings.Contains(s.job.Endpoints[0], "SECRETKEY") {
		t.Errorf("the session lost its own credentials: %+v", s.job)
	}
}

func TestPlaylistSegmentsAreTheRecordingsKeys(t *testing.T) {
	stem := "s1-20260101-120000"
	playlist := "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n#EXT-X-PLAYLIST-TYPE:EVENT\n" +
		"#EXT-X-MAP:URI=\"" + stem + "_init.mp4\"\n" +
		"#EXTINF:2.0,\n" + stem + "_00000.m4s\n" +
		"#EXTINF:2.0,\n" + stem + "_00001.m4s\n" +
		"#EXTINF:2.0,\n../" + stem + "_00002.m4s\n" + // a path: not a key
		"#EXTINF:2.0,\nother-20260101-120000_00003.m4s\n" + // another recording's
		"#EXTINF:2.0,\n/etc/passwd\n" +
		"#EXTINF:2.0,\n" + stem + "_00001.m4s\n" + // listed twice
		"#EXT-X-ENDLIST\n"
	got := playlistSegments(stem, []byte(playlist))
	want := []string{stem + "_init.mp4", stem + "_00000.m4s", stem + "_00001.m4s"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("segments %q, want %q", got, want)
	}
}

// A finished file never replaces another: a taken name gets _2, _3 … before its extension.
func TestFreeNameKeepsTakenFiles(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "s1-20260101-120000.mp4")
	for i, want := range []string{"s1-20260101-120000.mp4", "s1-20260101-120000_2.mp4", "s1-20260101-120000_3.mp4"} {
		got := freeName(name)
		if filepath.Base(got) != want || filepath.Dir(got) != dir {
			t.Fatalf("file %d: %s, want %s in %s", i+1, got, want, dir)
		}
		if err := os.WriteFile(got, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
