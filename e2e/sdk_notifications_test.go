package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// roomFollower is a JS SDK client that joined a room and collects the isRecording values of
// the broadcastObject notifications it is sent, as Circle's participants read them.
type roomFollower struct {
	recording chan bool
}

// followRoom joins room over /{app}/websocket, as an SDK participant's joinRoom does.
func (s *service) followRoom(t *testing.T, room string) *roomFollower {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	dial, stop := context.WithTimeout(ctx, 10*time.Second)
	defer stop()
	conn, _, err := websocket.Dial(dial, "ws"+strings.TrimPrefix(s.base, "http")+"/live/websocket", nil)
	if err != nil {
		cancel()
		t.Fatalf("an SDK participant cannot connect: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		conn.Close(websocket.StatusNormalClosure, "")
	})
	join, _ := json.Marshal(map[string]any{"command": "joinRoom", "room": room, "mainTrack": room, "streamId": "follower"})
	if err := conn.Write(dial, websocket.MessageText, join); err != nil {
		t.Fatal(err)
	}
	f := &roomFollower{recording: make(chan bool, 16)}
	go func() {
		for {
			_, b, err := conn.Read(ctx)
			if err != nil {
				return
			}
			var m struct {
				Command, Definition, Broadcast string
			}
			if json.Unmarshal(b, &m) != nil || m.Command != "notification" || m.Definition != "broadcastObject" {
				continue
			}
			var bc struct{ MetaData string }
			var meta struct{ IsRecording bool }
			if json.Unmarshal([]byte(m.Broadcast), &bc) == nil && json.Unmarshal([]byte(bc.MetaData), &meta) == nil {
				f.recording <- meta.IsRecording
			}
		}
	}()
	return f
}

// waitFor reads notifications until one says isRecording is want.
func (f *roomFollower) waitFor(t *testing.T, want bool, within time.Duration) {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case got := <-f.recording:
			if got == want {
				return
			}
		case <-deadline:
			t.Errorf("an SDK participant of the room was not told isRecording %v within %s", want, within)
			return
		}
	}
}
