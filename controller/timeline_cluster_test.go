package controller

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"mediapush/timeline"
	"mediapush/worker"
)

// A worker node's page signals cross NATS as events and reach the room's timeline dated when
// the node saw them; they change nothing of the session's state.
func TestPageSignalsFromANodeReachTheTimeline(t *testing.T) {
	connect := testBroker(t)
	node := testNode(t, connect)
	ctx := context.Background()
	c, err := Open(Config{DataDir: t.TempDir(), Log: zerolog.Nop(),
		Cluster: ClusterConfig{Conn: connect("controller"), NoLocalSessions: true, NodeTimeout: time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(ctx) }) //nolint:errcheck // test end
	waitFor(t, "w1 heard", func() bool { return len(c.Nodes()) == 1 && c.Nodes()[0].Live })

	const id = "room1_composite"
	c.svc.timelines.begin(id, "room1")
	if err := c.svc.runner.Start(ctx, worker.Job{StreamID: id, Kind: worker.KindRoom, Room: "room1", URL: "https://example.com/", Width: 640, Height: 360}); err != nil {
		t.Fatal(err)
	}
	seen := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC) // the node's clock, not the controller's
	node.OnEvent(worker.Event{StreamID: id, Kind: worker.PageStarted, At: seen})
	node.OnEvent(worker.Event{StreamID: id, Kind: worker.SpeakerChanged, Speaker: "zoe", At: seen.Add(time.Second)})
	var notes []timeline.Note
	waitFor(t, "the signals noted", func() bool {
		notes = c.svc.timelines.get(id).log.Notes()
		return len(notes) == 2
	})
	if n := notes[0]; n.Kind != timeline.StartSignal || !n.At.Equal(seen) {
		t.Errorf("start signal noted as %+v, want at %s", n, seen)
	}
	if n := notes[1]; n.Kind != timeline.ActiveSpeaker || n.StreamID != "zoe" || !n.At.Equal(seen.Add(time.Second)) {
		t.Errorf("active speaker noted as %+v, want zoe at %s", n, seen.Add(time.Second))
	}
	if b, err := c.svc.Broadcast(ctx, id); err != nil || b.State != string(worker.Active) {
		t.Errorf("the session after its page's signals: %+v, %v; want ACTIVE", b, err)
	}
}
