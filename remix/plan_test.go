package remix

import (
	"strings"
	"testing"
	"time"

	"mediapush/raw"
)

func testManifest() raw.Manifest {
	return raw.Manifest{
		Room: "r", StartedAt: time.UnixMilli(1_000_000), EndedMs: ms(20_000),
		Publications: []raw.Publication{
			{StreamID: "bob", Name: "Bob", Kind: raw.Camera, Video: "H264", Audio: "opus", Width: 640, Height: 360, JoinedMs: 200, LeftMs: ms(8_000)},
			{StreamID: "alice", Name: "Alice", Kind: raw.Camera, Video: "H264", Audio: "opus", Width: 320, Height: 240, JoinedMs: 100},
			{StreamID: "erin", Name: "Erin", Kind: raw.AudioOnly, Audio: "opus", JoinedMs: 12_000},
			{StreamID: "share", Name: "Alice's screen", Kind: raw.Screen, Presenter: "alice", Video: "VP8", Width: 1280, Height: 720, JoinedMs: 15_000, LeftMs: ms(30_000)},
		},
	}
}

// describe is a scene as "from-to:ids/speaker".
func describe(scenes []Scene) string {
	var parts []string
	for _, s := range scenes {
		ids := make([]string, len(s.Participants))
		for i, p := range s.Participants {
			ids[i] = p.StreamID
		}
		parts = append(parts, time.Duration(s.FromMs*int64(time.Millisecond)).String()+"-"+
			time.Duration(s.ToMs*int64(time.Millisecond)).String()+":"+strings.Join(ids, ",")+"/"+s.Speaker)
	}
	return strings.Join(parts, " ")
}

func TestPlanCutsAtJoinsLeavesAndSpeakers(t *testing.T) {
	speakers := []SpeakerChange{{AtMs: 3_000, StreamID: "bob"}, {AtMs: 5_000, StreamID: "bob"}, {AtMs: 13_000, StreamID: "alice"}}
	scenes, err := Plan(testManifest(), speakers)
	if err != nil {
		t.Fatal(err)
	}
	want := "0s-100ms:/ 100ms-200ms:alice/ 200ms-3s:alice,bob/ 3s-8s:alice,bob/bob 8s-12s:alice/ " +
		"12s-13s:alice,erin/ 13s-15s:alice,erin/alice 15s-20s:alice,erin,share/alice"
	if got := describe(scenes); got != want {
		t.Errorf("scenes:\n got %s\nwant %s", got, want)
	}
	share := scenes[len(scenes)-1].Participants[2]
	if !share.ScreenShare || share.Presenter != "alice" || share.Video != "VP8" || share.Width != 1280 {
		t.Errorf("the screen share is shown as %+v", share)
	}
	if a := scenes[1].Participants[0]; a.JoinedAt != 1_000_100 || a.Name != "Alice" || a.Audio != "opus" || a.Height != 240 {
		t.Errorf("alice is shown as %+v: want her join at the room's start plus 100 ms, name, codecs and size", a)
	}
	if e := scenes[5].Participants[1]; e.Video != "" || e.ScreenShare {
		t.Errorf("an audio-only publication is shown as %+v", e)
	}
}

func TestPlanRefusesAnUnfinishedRecording(t *testing.T) {
	m := testManifest()
	m.EndedMs = nil
	if _, err := Plan(m, nil); err == nil || !strings.Contains(err.Error(), "not ended") {
		t.Errorf("Plan of a recording going on: %v", err)
	}
	m.EndedMs = ms(0)
	if _, err := Plan(m, nil); err == nil {
		t.Error("Plan of an empty recording: no error")
	}
}
