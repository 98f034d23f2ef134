package controller

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"mediapush/raw"
	"mediapush/remix"
	"mediapush/timeline"
)

func TestRemixTimelineFromTheManifest(t *testing.T) {
	ms := func(v int64) *int64 { return &v }
	start := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	m := raw.Manifest{Room: "r", StartedAt: start, EndedMs: ms(20_000), Publications: []raw.Publication{
		{StreamID: "alice", Name: "Alice", Kind: raw.Camera, JoinedMs: 0, LeftMs: ms(20_000),
			Events: []raw.Event{{Kind: timeline.AudioMuted, AtMs: 4_000}, {Kind: timeline.ScreenShareStart, AtMs: 10_000}}},
		{StreamID: "bob", Name: "Bob", Kind: raw.Camera, JoinedMs: 0, LeftMs: ms(6_000)},
		{StreamID: "alice_screen", Name: "Alice's screen", Kind: raw.Screen, Presenter: "alice", JoinedMs: 10_000, LeftMs: ms(15_000)},
	}}
	speakers := []remix.SpeakerChange{{AtMs: 500, StreamID: "bob"}, {AtMs: 6_000, StreamID: ""}, {AtMs: 7_000, StreamID: "alice"}}
	tl := timeline.Build("r_remix_grid.mp4", remixNotes(m, speakers), timeline.Span{Start: start, Duration: 20 * time.Second})
	doc, err := tl.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Events []struct {
			Type     string  `json:"type"`
			At       float64 `json:"at"`
			StreamID string  `json:"streamId"`
		} `json:"events"`
	}
	if err := json.Unmarshal(doc, &got); err != nil {
		t.Fatal(err)
	}
	var seen []string
	for _, e := range got.Events {
		seen = append(seen, e.Type+":"+e.StreamID+"@"+time.Duration(e.At*float64(time.Second)).String())
	}
	want := "join:alice@0s join:bob@0s activeSpeaker:bob@500ms audioMuted:alice@4s leave:bob@6s activeSpeaker:alice@7s " +
		"screenShareStart:alice_screen@10s screenShareStop:alice_screen@15s"
	if s := strings.Join(seen, " "); !strings.HasPrefix(s, want) {
		t.Errorf("timeline events:\n got %s\nwant %s …", s, want)
	}
	if vtt := string(tl.WebVTT()); !strings.Contains(vtt, "Bob leaves (Alice)") {
		t.Errorf("chapters:\n%s", vtt)
	}
}
