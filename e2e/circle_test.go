package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/golang-jwt/jwt/v5"

	"mediapush/controller"
	"mediapush/internal/mediacheck"
	"mediapush/synthetic"
)

// circleClient speaks Circle's messages over /{app}/websocket/application.
type circleClient struct {
	t    *testing.T
	conn *websocket.Conn
}

// circle connects as Circle does; query is added to the upgrade's URL.
func (s *service) circle(t *testing.T, query ...string) *circleClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.base, "http")+"/live/websocket/application"+strings.Join(query, ""), nil)
	if err != nil {
		t.Fatalf("Circle cannot connect: %v", err)
	}
	t.Cleanup(func() { conn.Close(websocket.StatusNormalClosure, "") })
	return &circleClient{t: t, conn: conn}
}

// ask sends msg and returns the next message of the server.
func (c *circleClient) ask(msg map[string]any) map[string]any {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	b, _ := json.Marshal(msg)
	if err := c.conn.Write(ctx, websocket.MessageText, b); err != nil {
		c.t.Fatalf("send %s: %v", b, err)
	}
	_, reply, err := c.conn.Read(ctx)
	if err != nil {
		c.t.Fatalf("no answer to %s: %v", b, err)
	}
	var out map[string]any
	if err := json.Unmarshal(reply, &out); err != nil {
		c.t.Fatalf("answer to %s is not JSON: %s", b, reply)
	}
	return out
}

// definition is the Result that Circle parses out of a response's "definition" string.
func (c *circleClient) definition(reply map[string]any, command string) result {
	c.t.Helper()
	def, isString := reply["definition"].(string)
	if reply["command"] != command || !isString {
		c.t.Fatalf("got %v, want %s with a definition string", reply, command)
	}
	var r result
	if err := json.Unmarshal([]byte(def), &r); err != nil {
		c.t.Fatalf("definition %q: %v", def, err)
	}
	return r
}

// TestCircleStartRecording presses Circle's Start and Stop Recording over its own protocol,
// in a room of two WHIP participants: the room is recorded as {room}_composite, its
// isRecording follows (an SDK participant of the room is told by broadcastObject), the hook
// hears each change and the VoD is listed under the stream.
// The recorded page takes StreamApp's parameters.
func TestCircleStartRecording(t *testing.T) {
	s := startService(t, func(c *controller.Config) {
		c.RoomURL = controller.DefaultRoomURL + "&app=live&muted=false&controls=true&subscriberId=rec&subscriberCode=123456"
	})
	var mu sync.Mutex
	var changes []string
	s.ctl.OnRoomRecordingChanged(func(room string) {
		mu.Lock()
		changes = append(changes, room)
		mu.Unlock()
	})
	heard := func() int {
		mu.Lock()
		defer mu.Unlock()
		for _, r := range changes {
			if r != "circle1" {
				t.Errorf("the hook named room %q", r)
			}
		}
		return len(changes)
	}
	const room, composite = "circle1", "circle1_composite"
	s.join(t, room, member{"ann", "Ann", "red", 500}, nil)
	s.join(t, room, member{"ben", "Ben", "blue", 900}, nil)

	follower := s.followRoom(t, room)
	circle := s.circle(t)
	if r := circle.ask(map[string]any{"command": "ping"}); r["command"] != "pong" {
		t.Errorf("ping: %v", r)
	}
	r := circle.ask(map[string]any{"command": "getSettings"})
	var settings map[string]any
	if str, _ := r["settings"].(string); r["command"] != "setSettings" || json.Unmarshal([]byte(str), &settings) != nil ||
		settings["isRecordingFeatureAvailable"] != true {
		t.Fatalf("getSettings: %v (Circle parses settings as a JSON string)", r)
	}

	start := circle.definition(circle.ask(map[string]any{"command": "startRecording", "streamId": room,
		"websocketURL": "ws" + strings.TrimPrefix(s.base, "http") + "/live/websocket", "token": "", "recordingMode": ""}), "startRecordingResponse")
	started := time.Now()
	if !start.Success || start.DataID == nil || *start.DataID != composite {
		t.Fatalf("startRecording: %+v %s", start, start.msg())
	}
	if !s.room(room).isRecording {
		t.Error("isRecording is false after startRecording")
	}
	follower.waitFor(t, true, 5*time.Second)
	if n := heard(); n < 2 {
		t.Errorf("the hook heard %d changes by the start's answer, want the session starting and active", n)
	}
	if b := s.broadcast(composite); b.Width != 1280 || b.Height != 720 {
		t.Errorf("composite: %+v, want 1280x720", b)
	}
	s.waitShown(composite, "grid", []string{"ann", "ben"}, 15*time.Second)
	var page struct {
		App   string `json:"app"`
		Tiles []struct {
			Muted    *bool `json:"muted"`
			Controls bool  `json:"controls"`
		} `json:"tiles"`
	}
	st := s.call(http.MethodPost, "/live/rest/v1/media-push/send-command?streamId="+composite, map[string]string{"jsCommand": "return roomState()"})
	if err := json.Unmarshal([]byte(st.msg()), &page); err != nil || page.App != "/live/" || len(page.Tiles) != 2 {
		t.Fatalf("the page's state: %s (%v)", st.msg(), err)
	}
	for _, tile := range page.Tiles {
		if tile.Muted == nil || *tile.Muted || !tile.Controls {
			t.Errorf("a tile is muted=%v controls=%v; the URL asked for sound and controls", tile.Muted, tile.Controls)
		}
	}
	time.Sleep(2 * time.Second)
	before := heard()
	pushed := time.Since(started)
	stop := circle.definition(circle.ask(map[string]any{"command": "stopRecording", "streamId": room}), "stopRecordingResponse")
	if !stop.Success {
		t.Fatalf("stopRecording: %s", stop.msg())
	}
	if s.room(room).isRecording {
		t.Error("isRecording is true after stopRecording")
	}
	follower.waitFor(t, false, 5*time.Second)
	if n := heard(); n <= before {
		t.Error("the hook did not hear the stop")
	}
	again := circle.definition(circle.ask(map[string]any{"command": "stopRecording", "streamId": room}), "stopRecordingResponse")
	if again.Success || !strings.Contains(again.msg(), "not being recorded") {
		t.Errorf("a second stop: %+v %q", again, again.msg())
	}

	var vods []vod
	if code := s.getJSON("/live/rest/v2/vods/list/0/10?streamId="+composite, &vods); code != http.StatusOK || len(vods) != 1 {
		t.Fatalf("VoDs of %s: HTTP %d %+v", composite, code, vods)
	}
	if vods[0].StreamID != composite || vods[0].Format != "mp4" {
		t.Errorf("the room's VoD: %+v", vods[0])
	}
	path := s.download(vods[0])
	// The frame rate is the shared machine's to give (the page changes with its participants):
	// only that there is video is asked here; the colours below show what it is.
	info := checkRecording(t, path, "h264", "aac", 1280, 720, pushed, 1)
	checkpoint{name: "Circle's room", at: info.Duration / 2, want: map[mediacheck.Point]string{
		{X: 0.25, Y: 0.5}: "red", {X: 0.75, Y: 0.5}: "blue",
	}}.verify(t, path)
	var all []vod
	s.getJSON("/live/rest/v2/vods/list/0/50", &all)
	if !slices.ContainsFunc(all, func(v vod) bool { return v.StreamID == "ann" }) {
		t.Errorf("the participants' own audio is missing from the full list: %+v", all)
	}
}

// TestCircleWithStreamTokens: with an API token and stream tokens on, a Circle client that is
// not the operator records a room with a publish token for it, and with nothing less; the
// operator's client, with the API token in the upgrade's query, needs no stream token.
func TestCircleWithStreamTokens(t *testing.T) {
	secret := []byte("a secret only the conference app knows")
	const apiToken = "an-api-token-for-the-operator-0123456789"
	s := startService(t, func(c *controller.Config) {
		c.Rooms.TokenSecret = secret
		c.APIToken = apiToken
	})
	token := func(streamID, kind string) string {
		tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"streamId": streamID, "type": kind,
			"exp": time.Now().Add(time.Hour).Unix()}).SignedString(secret)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	var mu sync.Mutex
	var changes int
	s.ctl.OnRoomRecordingChanged(func(string) { mu.Lock(); changes++; mu.Unlock() })
	p, err := synthetic.Publish(context.Background(), s.base+"/live/whip/kim?mainTrack=vault", synthetic.Options{
		Color: "red", Tone: 440, Token: token("vault", "publish")})
	if err != nil {
		t.Fatalf("joining the secured room: %v", err)
	}
	defer p.Close()

	participant := s.circle(t)
	for _, c := range []struct{ name, token, want string }{
		{"no token", "", "not allowed: send a publish token for room vault"},
		{"a play token", token("vault", "play"), "not allowed: "},
		{"another room's publish token", token("lobby", "publish"), "not allowed: "},
	} {
		r := participant.definition(participant.ask(map[string]any{"command": "startRecording", "streamId": "vault", "token": c.token}), "startRecordingResponse")
		if r.Success || !strings.Contains(r.msg(), c.want) {
			t.Errorf("%s: %+v %q, want a refusal saying %q", c.name, r, r.msg(), c.want)
		}
	}
	if code, _, _ := s.get("/live/rest/v2/broadcasts/vault_composite", apiToken); code != http.StatusNotFound {
		t.Errorf("a refused start left a broadcast: HTTP %d", code)
	}
	r := participant.definition(participant.ask(map[string]any{"command": "startRecording", "streamId": "vault",
		"token": token("vault", "publish")}), "startRecordingResponse")
	if !r.Success {
		t.Fatalf("start with the room's publish token: %s", r.msg())
	}
	var b struct {
		MetaData string `json:"metaData"`
	}
	if code, body, _ := s.get("/live/rest/v2/broadcasts/vault", apiToken); code != http.StatusOK || json.Unmarshal([]byte(body), &b) != nil ||
		!strings.Contains(b.MetaData, `"isRecording":true`) {
		t.Errorf("the room while recording: HTTP %d %s", code, body)
	}
	time.Sleep(2 * time.Second)
	operator := s.circle(t, "?apiToken="+apiToken)
	if r := operator.definition(operator.ask(map[string]any{"command": "stopRecording", "streamId": "vault"}), "stopRecordingResponse"); !r.Success {
		t.Fatalf("the operator's stop: %s", r.msg())
	}
	if code, body, _ := s.get("/live/rest/v2/broadcasts/vault", apiToken); code != http.StatusOK || json.Unmarshal([]byte(body), &b) != nil ||
		!strings.Contains(b.MetaData, `"isRecording":false`) {
		t.Errorf("the room after the stop: HTTP %d %s", code, body)
	}
	mu.Lock()
	defer mu.Unlock()
	if changes < 4 {
		t.Errorf("the hook heard %d changes, want the start's and the stop's", changes)
	}
}
