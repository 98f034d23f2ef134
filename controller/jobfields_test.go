package controller

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mediapush/catalog"
	"mediapush/recorder"
	"mediapush/worker"
)

// A session is a Dolby mix, or a room's recording, because its job says so: its stream id is
// only a name.
func TestMixesAndRoomsAreKnownByTheirJob(t *testing.T) {
	c := openNode(t)
	ctx := context.Background()
	var rooms []string
	c.OnRoomRecordingChanged(func(room string) { rooms = append(rooms, room) })
	now := time.Now()
	run := func(job worker.Job) {
		c.svc.OnEvent(worker.Event{StreamID: job.StreamID, State: worker.Starting, At: now, Job: &job})
		c.svc.OnEvent(worker.Event{StreamID: job.StreamID, State: worker.Complete, At: now, Recordings: []worker.Recording{
			{StreamID: job.StreamID, Format: recorder.MP4, Key: job.StreamID + "-20260101-120000.mp4", StartedAt: now, Duration: time.Second, Size: 1},
		}})
	}
	run(worker.Job{StreamID: "board-meeting", Kind: worker.KindMix, Conference: "conf1", MixID: "wide", URL: "http://127.0.0.1/l", Width: 1920, Height: 1080})
	run(worker.Job{StreamID: "conf1_mix_fake", URL: "http://127.0.0.1/l", Width: 1280, Height: 720}) // a plain push
	run(worker.Job{StreamID: "recording-of-r1", Kind: worker.KindRoom, Room: "r1", URL: "http://127.0.0.1/l", Width: 1280, Height: 720})
	run(worker.Job{StreamID: "r2_composite", URL: "http://127.0.0.1/l", Width: 1280, Height: 720}) // a plain push

	recs, err := c.svc.ConferenceRecordings(ctx, "conf1")
	if err != nil || len(recs) != 1 || recs[0].Mix == nil || recs[0].Mix.MixID != "wide" || recs[0].Mix.Width != 1920 ||
		recs[0].Filename != "board-meeting-20260101-120000.mp4" {
		t.Errorf("conf1's recordings: %+v, %v; want the one mix, wide", recs, err)
	}
	all, err := c.svc.MixRecordings(ctx, "", 0, 10)
	if err != nil || len(all) != 1 || all[0].ConferenceID != "conf1" {
		t.Errorf("all mix recordings: %+v, %v; want conf1's only", all, err)
	}
	if strings.Join(rooms, ",") != "r1,r1" {
		t.Errorf("room hooks told %v, want r1 twice (starting, complete)", rooms)
	}
	if b, err := c.cat.GetBroadcast(ctx, "recording-of-r1"); err != nil || b.Kind != "room" || b.Room != "r1" {
		t.Errorf("the room recording's broadcast: %+v, %v", b, err)
	}
}

// A recording is named by a flat key; one whose key is a path is not listed.
func TestRecordingKeyMustBeFlat(t *testing.T) {
	c := openNode(t)
	ctx := context.Background()
	now := time.Now()
	for _, key := range []string{"../s-20260101-120000.mp4", "/data/streams/s-20260101-120000.mp4", "a\\b.mp4", ""} {
		c.svc.OnEvent(worker.Event{StreamID: "s", State: worker.Complete, At: now, Recordings: []worker.Recording{
			{StreamID: "s", Format: recorder.MP4, Key: key, StartedAt: now, Duration: time.Second, Size: 1}}})
	}
	vods, err := c.svc.FindVoDs(ctx, catalog.VoDQuery{Size: 10})
	if err != nil || len(vods) != 0 {
		t.Errorf("VoDs listed from keys that are paths: %+v, %v", vods, err)
	}
}

// An HLS recording's files are those the worker names; the streams directory is read only for
// a recording announced without them.
func TestHLSFilesAreTheWorkersKeys(t *testing.T) {
	c := openNode(t)
	stem := "s-20260101-120000"
	// A stray file of the same stem in the directory is not the recording's when the worker says
	// what is.
	for _, f := range []string{stem + "_init.mp4", stem + "_00000.m4s", stem + "_00001.m4s", stem + ".m3u8"} {
		if err := os.WriteFile(filepath.Join(c.svc.streamsDir, f), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	rec := worker.Recording{StreamID: "s", Format: recorder.HLS, Key: stem + ".m3u8",
		Segments: []string{stem + "_init.mp4", stem + "_00000.m4s", "../etc_00001.m4s"}}
	got := c.svc.vodFiles(rec)
	want := []string{stem + "_init.mp4", stem + "_00000.m4s", stem + ".m3u8"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("files %q, want %q (the worker's keys, then the playlist)", got, want)
	}
	rec.Segments = nil
	got = c.svc.vodFiles(rec)
	want = []string{stem + "_00000.m4s", stem + "_00001.m4s", stem + "_init.mp4", stem + ".m3u8"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("files of a recording without its keys %q, want %q (found here)", got, want)
	}
}

// The newest playlist of a stream is found by the recording names' codec: another stream whose
// id begins alike is not taken for it.
func TestLatestPlaylist(t *testing.T) {
	c := openNode(t)
	for _, f := range []string{"s-20260101-120000.m3u8", "s-20260102-090000.m3u8", "s-x-20260103-000000.m3u8", "s-20260104.m3u8"} {
		if err := os.WriteFile(filepath.Join(c.svc.streamsDir, f), []byte("#EXTM3U\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if got := filepath.Base(c.svc.latestPlaylist("s")); got != "s-20260102-090000.m3u8" {
		t.Errorf("latest playlist of s: %q", got)
	}
	if got := filepath.Base(c.svc.latestPlaylist("s-x")); got != "s-x-20260103-000000.m3u8" {
		t.Errorf("latest playlist of s-x: %q", got)
	}
}
