package signalling

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"mediapush/rooms"
)

func TestPublishThenPlayAStream(t *testing.T) {
	f := newFixture(t, nil)
	f.publish("alice", "")
	if _, ok := f.hub.Stream("alice"); !ok {
		t.Fatal("the hub does not relay the SDK's publication")
	}
	p := f.play(nil, "alice")
	if got := p.mapped(); got != "ARDAMSvalice" {
		t.Errorf("idMapping has %q, want ARDAMSvalice", got)
	}
	p.waitFor("alice's video", func() bool { return p.tracks["ARDAMSvalice"] == "alice" })
}

func TestRoomPlayFollowsParticipants(t *testing.T) {
	f := newFixture(t, nil)
	alice := f.publish("alice", "room1")
	// Alice plays her room, herself excluded, as conference-room.html does.
	p := f.play(alice.client, "room1", "!alice")
	if got := p.mapped(); got != "" {
		t.Errorf("alone in the room, alice is offered %q", got)
	}
	bob := f.publish("bob", "room1")
	p.answerOffer()
	if got := p.mapped(); got != "ARDAMSvbob" {
		t.Errorf("after bob joined, idMapping has %q, want ARDAMSvbob", got)
	}
	p.waitFor("bob's video in the room's stream", func() bool { return p.tracks["ARDAMSvbob"] == "room1" })
	carol := f.publish("carol", "room1")
	p.answerOffer()
	if got := p.mapped(); got != "ARDAMSvbob,ARDAMSvcarol" {
		t.Errorf("after carol joined, idMapping has %q", got)
	}
	bob.send(map[string]any{"command": "stop", "streamId": "bob"})
	bob.expect("notification", "publish_finished")
	p.answerOffer()
	if got := p.mapped(); got != "ARDAMSvcarol" {
		t.Errorf("after bob left, idMapping has %q, want ARDAMSvcarol", got)
	}
	if strings.Contains(p.pc.RemoteDescription().SDP, "ARDAMSvbob") {
		t.Error("the offer after bob left still sends his track")
	}
	// Leaving the room ends carol's publication: the room player drops her.
	carol.send(map[string]any{"command": "leaveFromRoom", "room": "room1", "streamId": "carol"})
	if m := carol.expect("notification", "leavedFromRoom"); m["ATTR_ROOM_NAME"] != "room1" {
		t.Errorf("leavedFromRoom = %v", m)
	}
	p.answerOffer()
	if got := p.mapped(); got != "" {
		t.Errorf("after carol left, idMapping has %q", got)
	}
}

func TestAParticipantDoesNotPlayItself(t *testing.T) {
	f := newFixture(t, nil)
	c := f.dial()
	c.send(map[string]any{"command": "joinRoom", "room": "room1", "streamId": "alice"})
	c.expect("notification", "joinedTheRoom")
	// Alice plays her room first, then publishes in it: her own stream is not offered back.
	p := f.play(c, "room1")
	f.publishOn(c, "alice", "room1")
	f.publish("bob", "room1")
	p.answerOffer()
	if got := p.mapped(); got != "ARDAMSvbob" {
		t.Errorf("alice's room play offers %q, want bob's track only", got)
	}
}

func TestRoomCommands(t *testing.T) {
	f := newFixture(t, nil)
	f.publish("alice", "room1")
	c := f.dial()
	c.send(map[string]any{"command": "joinRoom", "room": "room1", "streamId": "", "mode": "multitrack"})
	m := c.expect("notification", "joinedTheRoom")
	id, _ := m["streamId"].(string)
	if m["ATTR_ROOM_NAME"] != "room1" || len(id) != 16 {
		t.Errorf("joinedTheRoom = %v, want the room and a made-up stream id", m)
	}
	if list, _ := m["streams"].([]any); len(list) != 1 || list[0] != "alice" {
		t.Errorf("joinedTheRoom lists %v, want alice", m["streams"])
	}
	c.send(map[string]any{"command": "getRoomInfo", "room": "room1", "streamId": id})
	if m := c.expect("roomInformation", ""); m["room"] != "room1" || len(m["streamList"].([]any)) != 1 {
		t.Errorf("roomInformation = %v", m)
	}
	c.send(map[string]any{"command": "getBroadcastObject", "streamId": "room1"})
	m = c.expect("notification", "broadcastObject")
	if b, _ := m["broadcast"].(string); !strings.Contains(b, `"streamId":"room1"`) {
		t.Errorf("broadcastObject carries %v, want the room's Broadcast as a string", m["broadcast"])
	}
	c.send(map[string]any{"command": "getSubtracksCount", "streamId": "room1"})
	if m := c.expect("notification", "subtrackCount"); m["count"] != float64(1) {
		t.Errorf("subtrackCount = %v", m)
	}
	c.send(map[string]any{"command": "getSubtracks", "streamId": "room1", "offset": 0, "size": 10})
	if m := c.expect("notification", "subtrackList"); len(m["subtrackList"].([]any)) != 1 {
		t.Errorf("subtrackList = %v", m)
	}
	// The room's followers hear of its Broadcast when it changes (a recording starts).
	f.srv.NotifyBroadcastChanged("room1")
	c.expect("notification", "broadcastObject")
	c.send(map[string]any{"command": "ping"})
	c.expect("pong", "")
	c.send(map[string]any{"command": "getIceServerConfig"})
	if m := c.expect("iceServerConfig", ""); m["stunServerUri"] != "" {
		t.Errorf("iceServerConfig = %v, want no STUN server", m)
	}
}

func TestDataChannelReachesTheRoom(t *testing.T) {
	f := newFixture(t, nil)
	alice := f.publish("alice", "room1")
	bob := f.publish("bob", "room1")
	alicePlays := f.play(alice.client, "room1", "!alice")
	bobPlays := f.play(bob.client, "room1", "!bob")
	alicePlays.waitFor("bob's video", func() bool { return alicePlays.tracks["ARDAMSvbob"] != "" })
	<-alice.open
	bobPlays.waitFor("the data channel", func() bool { return true })
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := alice.dc.SendText("hello"); err != nil {
			t.Fatal(err)
		}
		if err := alice.dc.Send([]byte{0, 1, 2}); err != nil {
			t.Fatal(err)
		}
		bobPlays.mu.Lock()
		got := strings.Join(bobPlays.messages, "|")
		bobPlays.mu.Unlock()
		if strings.Contains(got, "text:hello") && strings.Contains(got, "binary:\x00\x01\x02") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("bob received %q, want alice's text and binary messages", got)
		}
		time.Sleep(100 * time.Millisecond)
	}
	alicePlays.mu.Lock()
	defer alicePlays.mu.Unlock()
	if len(alicePlays.messages) > 0 {
		t.Errorf("alice got her own messages back: %q", alicePlays.messages)
	}
}

func TestClosingTheSocketEndsEverything(t *testing.T) {
	f := newFixture(t, nil)
	before := runtime.NumGoroutine()
	alice := f.publish("alice", "room1")
	p := f.play(alice.client, "room1", "!alice")
	p.pc.Close()
	alice.halt()
	alice.pc.Close()
	alice.ws.CloseNow()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, live := f.hub.Stream("alice")
		f.srv.mu.Lock()
		plays, pubs := len(f.srv.plays), len(f.srv.publications)
		f.srv.mu.Unlock()
		now := runtime.NumGoroutine()
		if !live && plays == 0 && pubs == 0 && now <= before+2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the socket closed: stream live %v, %d plays, %d publications, goroutines %d (were %d)",
				live, plays, pubs, now, before)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestBadInputIsRefused(t *testing.T) {
	f := newFixture(t, nil)
	before := runtime.NumGoroutine()
	c := f.dial()
	cases := []struct {
		name, msg, definition string
	}{
		{"not JSON", `{"command":`, defInvalidMessage},
		{"two values", `{"command":"ping"} {}`, defInvalidMessage},
		{"no command", `{}`, defInvalidMessage},
		{"a field of the wrong type", `{"command":"publish","streamId":7}`, defInvalidMessage},
		{"an unknown command", `{"command":"forceStreamQuality","streamId":"a"}`, defUnknownCommand},
		{"a bad stream id", `{"command":"publish","streamId":"../etc"}`, defInvalidStreamID},
		{"a reserved stream id", `{"command":"publish","streamId":"r_composite"}`, defInvalidStreamID},
		{"a bad room", `{"command":"publish","streamId":"a","mainTrack":"a b"}`, defInvalidStreamID},
		{"a long name", `{"command":"publish","streamId":"a","streamName":"` + strings.Repeat("x", 65) + `"}`, defInvalidName},
		{"large metaData", `{"command":"publish","streamId":"a","metaData":"` + strings.Repeat("x", 5000) + `"}`, defInvalidMetaData},
		{"a play of nothing", `{"command":"play","streamId":"nobody"}`, defNoStream},
		{"an answer out of turn", `{"command":"takeConfiguration","streamId":"a","type":"answer","sdp":"v=0"}`, defNotAllowed},
		{"a bad type", `{"command":"takeConfiguration","streamId":"a","type":"pranswer","sdp":"v=0"}`, defInvalidSDP},
		{"a candidate for nothing", `{"command":"takeCandidate","streamId":"a","label":0,"candidate":"x"}`, defNotAllowed},
		{"a bad exclusion", `{"command":"play","streamId":"r","room":"r","trackList":["!a b"]}`, defInvalidStreamID},
		{"another's metaData", `{"command":"updateStreamMetaData","streamId":"x","metaData":"{}"}`, defNotAllowed},
		{"oversize", `{"command":"ping","pad":"` + strings.Repeat("x", 70<<10) + `"}`, defInvalidMessage},
	}
	for _, tc := range cases {
		c.sendRaw([]byte(tc.msg))
		m := c.expect("error", "")
		if m["definition"] != tc.definition || m["message"] == "" {
			t.Errorf("%s: got %v, want definition %s with a message", tc.name, m, tc.definition)
		}
	}
	// A bad offer ends the publish it was for.
	c.send(map[string]any{"command": "publish", "streamId": "a"})
	c.expect("start", "")
	c.send(map[string]any{"command": "takeConfiguration", "streamId": "a", "type": "offer", "sdp": "not sdp"})
	if m := c.expect("error", ""); m["definition"] != defInvalidSDP {
		t.Errorf("a bad offer: %v", m)
	}
	// The connection still works, and the id is free again.
	c.send(map[string]any{"command": "ping"})
	c.expect("pong", "")
	c.send(map[string]any{"command": "publish", "streamId": "a"})
	c.expect("start", "")
	if _, live := f.hub.Stream("a"); live {
		t.Error("a refused publication is live")
	}
	c.ws.CloseNow()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before+1 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if now := runtime.NumGoroutine(); now > before+1 {
		t.Errorf("%d goroutines after the connection closed, %d before", now, before)
	}
}

func TestTokens(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	f := newFixture(t, secret)
	c := f.dial()
	for _, cmd := range []map[string]any{
		{"command": "publish", "streamId": "a", "mainTrack": "r"},
		{"command": "publish", "streamId": "a", "mainTrack": "r", "token": "not.a.token"},
		{"command": "getRoomInfo", "room": "r", "streamId": "a"},
		{"command": "getBroadcastObject", "streamId": "r"},
	} {
		c.send(cmd)
		if m := c.expect("error", ""); m["definition"] != defUnauthorized {
			t.Errorf("%v: %v, want unauthorized_access", cmd, m)
		}
	}
	// joinRoom carries no token: it answers, but lists nobody.
	c.send(map[string]any{"command": "joinRoom", "room": "r", "streamId": "a"})
	if m := c.expect("notification", "joinedTheRoom"); len(m["streams"].([]any)) != 0 {
		t.Errorf("joinedTheRoom without a token lists %v", m["streams"])
	}
	token, err := f.hub.Token("r", rooms.Publish, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	c.send(map[string]any{"command": "publish", "streamId": "a", "mainTrack": "r", "token": token})
	c.expect("start", "")
	c.send(map[string]any{"command": "getRoomInfo", "room": "r", "streamId": "a"})
	c.expect("roomInformation", "")
}

func TestPlayLimits(t *testing.T) {
	f := newFixture(t, nil, func(c *Config) { c.MaxPlays, c.MaxViewers = 1, 1 })
	f.publish("alice", "room1")
	f.publish("bob", "")
	c := f.dial()
	f.play(c, "room1")
	c.send(map[string]any{"command": "play", "streamId": "bob"})
	if m := c.expect("error", ""); m["definition"] != defLimitReached || !strings.Contains(m["message"].(string), "1 streams at most") {
		t.Errorf("a second play on one connection: %v", m)
	}
	c.send(map[string]any{"command": "play", "streamId": "room1"})
	if m := c.expect("error", ""); m["definition"] != defNotAllowed {
		t.Errorf("playing room1 twice: %v", m)
	}
	other := f.dial()
	other.send(map[string]any{"command": "play", "streamId": "room1"})
	if m := other.expect("error", ""); m["definition"] != defLimitReached || !strings.Contains(m["message"].(string), "players as allowed") {
		t.Errorf("a second player of room1: %v", m)
	}
	f.srv.mu.Lock()
	defer f.srv.mu.Unlock()
	if len(f.srv.plays) != 1 {
		t.Errorf("%d plays after the refusals, want 1", len(f.srv.plays))
	}
}

// A connection joins a bounded number of rooms: each is remembered until it leaves.
func TestJoinedRoomsAreBounded(t *testing.T) {
	f := newFixture(t, nil)
	c := f.dial()
	for i := range maxJoinedRooms {
		c.send(map[string]any{"command": "joinRoom", "room": fmt.Sprintf("room%d", i), "streamId": ""})
		if m := c.expect("notification", "joinedTheRoom"); m["streamId"] == "" {
			t.Fatalf("joinRoom gave no stream id: %v", m)
		}
	}
	c.send(map[string]any{"command": "joinRoom", "room": "one-more", "streamId": "x"})
	if m := c.expect("error", ""); m["definition"] != defLimitReached {
		t.Errorf("a room past the bound: %v", m)
	}
	c.send(map[string]any{"command": "joinRoom", "room": "room0", "streamId": "x"})
	c.expect("notification", "joinedTheRoom")
}
