package controller

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"mediapush/catalog"
	"mediapush/rooms"
	"mediapush/worker"
)

// fakeRecorder records what the Circle commands asked of the node.
type fakeRecorder struct {
	started, stopped []string
	startErr         error
}

func (f *fakeRecorder) startRoomRecording(_ context.Context, room string) (string, error) {
	f.started = append(f.started, room)
	return room + compositeSuffix, f.startErr
}

func (f *fakeRecorder) stopRoomRecording(_ context.Context, room string) error {
	f.stopped = append(f.stopped, room)
	return nil
}

// definition decodes a reply's Result.
func definition(t *testing.T, r circleReply) Result {
	t.Helper()
	var res Result
	if err := json.Unmarshal([]byte(r.Definition), &res); err != nil {
		t.Fatalf("definition %q is not a Result: %v", r.Definition, err)
	}
	return res
}

func TestCircleRecordingAccess(t *testing.T) {
	refused := errors.New("the control API answers only callers on this machine")
	authorize := func(token, kind, streamID, room string) error {
		if token == "publish-room1" && kind == rooms.Publish && room == "room1" {
			return nil
		}
		return rooms.ErrUnauthorized
	}
	cases := []struct {
		name      string
		control   error
		tokensOn  bool
		room, tok string
		allowed   bool
		says      string
	}{
		{name: "operator, no tokens", room: "room1", allowed: true},
		{name: "operator ignores a bad token", tokensOn: true, room: "room1", tok: "junk", allowed: true},
		{name: "not control, tokens off", control: refused, room: "room1", tok: "publish-room1", says: "control action"},
		{name: "not control, no token", control: refused, tokensOn: true, room: "room1", says: "publish token for room room1"},
		{name: "publish token for the room", control: refused, tokensOn: true, room: "room1", tok: "publish-room1", allowed: true},
		{name: "token for another room", control: refused, tokensOn: true, room: "room2", tok: "publish-room1", says: "publish token for room room2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := circleAccess{controlErr: tc.control, tokensOn: tc.tokensOn, authorize: authorize}
			err := a.mayRecord(tc.room, tc.tok)
			if tc.allowed != (err == nil) {
				t.Fatalf("allowed = %v (%v), want %v", err == nil, err, tc.allowed)
			}
			if err != nil && (!strings.HasPrefix(err.Error(), "not allowed: ") || !strings.Contains(err.Error(), tc.says)) {
				t.Errorf("refusal %q should start with \"not allowed: \" and name %q", err, tc.says)
			}
			// The same decision reaches Circle as a Result.
			rec := &fakeRecorder{}
			msg, _ := json.Marshal(map[string]string{"command": "startRecording", "streamId": tc.room, "token": tc.tok,
				"websocketURL": "wss://elsewhere.example/live/websocket"})
			reply := handleCircle(context.Background(), msg, a, rec)
			res := definition(t, reply)
			if reply.Command != "startRecordingResponse" || res.Success != tc.allowed || (len(rec.started) == 1) != tc.allowed {
				t.Errorf("reply %+v, started %v", reply, rec.started)
			}
		})
	}
}

func TestCircleCommands(t *testing.T) {
	operator := circleAccess{}
	rec := &fakeRecorder{}
	ask := func(msg string) circleReply { return handleCircle(context.Background(), []byte(msg), operator, rec) }

	if r := ask(`{"command":"ping"}`); r.Command != "pong" {
		t.Errorf("ping: %+v", r)
	}
	r := ask(`{"command":"getSettings"}`)
	var settings map[string]any
	if err := json.Unmarshal([]byte(r.Settings), &settings); r.Command != "setSettings" || err != nil || settings["isRecordingFeatureAvailable"] != true {
		t.Errorf("getSettings: %+v (%v)", r, err)
	}
	r = ask(`{"command":"startRecording","streamId":"room1","token":"","recordingMode":"default"}`)
	if res := definition(t, r); !res.Success || res.DataID == nil || *res.DataID != "room1_composite" {
		t.Errorf("start: %+v", r)
	}
	r = ask(`{"command":"stopRecording","streamId":"room1"}`)
	if res := definition(t, r); r.Command != "stopRecordingResponse" || !res.Success {
		t.Errorf("stop: %+v", r)
	}
	if len(rec.started) != 1 || len(rec.stopped) != 1 {
		t.Errorf("started %v, stopped %v", rec.started, rec.stopped)
	}
	rec.startErr = &Error{Code: 409, Message: "Session with the same streamId: room1_composite already exists. Please stop it first"}
	if res := definition(t, ask(`{"command":"startRecording","streamId":"room1"}`)); res.Success || res.Message == nil || !strings.Contains(*res.Message, "already exists") {
		t.Errorf("a failed start: %+v", res)
	}
	for msg, says := range map[string]string{
		`{"command":"publish","streamId":"x"}`: `"publish" is not known`,
		`{"streamId":"x"}`:                     `no "command"`,
		`not json`:                             "not a JSON object",
		`{"command":"startRecording","streamId":"../x"}`: "room id",
	} {
		r := ask(msg)
		text := r.Definition
		if r.Command != "error" {
			res := definition(t, r)
			if res.Success || res.Message == nil {
				t.Errorf("%s: %+v", msg, r)
				continue
			}
			text = *res.Message
		}
		if !strings.Contains(text, says) {
			t.Errorf("%s: %q does not say %q", msg, text, says)
		}
	}
	if len(rec.started) != 2 {
		t.Errorf("a refused message started a recording: %v", rec.started)
	}
}

// TestCircleSocket speaks to the endpoint over a real WebSocket: answers, errors, the size
// limit, and a refusal to a client without the API token once one is set.
func TestCircleSocket(t *testing.T) {
	c := openNode(t, func(cfg *Config) { cfg.APIToken = "secret-api-token" })
	srv := httptest.NewServer(c.Handler())
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/live/websocket/application", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	roundTrip := func(msg string) circleReply {
		t.Helper()
		if err := conn.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		_, b, err := conn.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var r circleReply
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		return r
	}
	if r := roundTrip(`{"command":"ping"}`); r.Command != "pong" {
		t.Errorf("ping: %+v", r)
	}
	if r := roundTrip(`{"command":"nonsense"}`); r.Command != "error" || !strings.Contains(r.Definition, "nonsense") {
		t.Errorf("unknown command: %+v", r)
	}
	r := roundTrip(`{"command":"startRecording","streamId":"room1"}`)
	if res := definition(t, r); res.Success || res.Message == nil || !strings.Contains(*res.Message, "not allowed: ") || !strings.Contains(*res.Message, "API token") {
		t.Errorf("start without credentials: %+v", r)
	}
	if b, err := c.cat.GetBroadcast(ctx, "room1_composite"); err == nil {
		t.Errorf("a refused start left a broadcast: %+v", b)
	}
	// Past the read limit the server closes the connection, saying why.
	if err := conn.Write(ctx, websocket.MessageText, []byte(`{"command":"ping","pad":"`+strings.Repeat("x", maxCircleMessage)+`"}`)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := conn.Read(ctx); websocket.CloseStatus(err) != websocket.StatusMessageTooBig {
		t.Errorf("an oversized message: %v, want a close with StatusMessageTooBig", err)
	}
}

func TestRoomRecordingHookFires(t *testing.T) {
	c := openNode(t)
	var got []string
	c.OnRoomRecordingChanged(func(room string) { got = append(got, room) })
	now := time.Now()
	job := worker.Job{StreamID: "room1_composite", Kind: worker.KindRoom, Room: "room1", URL: "http://127.0.0.1/x", Width: 1280, Height: 720}
	c.svc.OnEvent(worker.Event{StreamID: "room1_composite", State: worker.Starting, At: now, Job: &job})
	c.svc.OnEvent(worker.Event{StreamID: "plain", State: worker.Starting, At: now, Job: &worker.Job{StreamID: "plain"}})
	c.svc.OnEvent(worker.Event{StreamID: "room1_composite", State: worker.Active, At: now})
	if b, _ := c.svc.Broadcast(context.Background(), "room1"); !strings.Contains(b.MetaData, `"isRecording":true`) {
		t.Errorf("active: room metaData %q", b.MetaData)
	}
	c.svc.OnEvent(worker.Event{StreamID: "room1_composite", State: worker.Failed, At: now, Reason: "the page died"})
	if b, _ := c.svc.Broadcast(context.Background(), "room1"); !strings.Contains(b.MetaData, `"isRecording":false`) {
		t.Errorf("failed: room metaData %q", b.MetaData)
	}
	if want := []string{"room1", "room1", "room1"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("hook calls %v, want %v (starting, active, failed; not for other streams)", got, want)
	}
}

func TestFailedStopClearsIsRecording(t *testing.T) {
	c := openNode(t)
	var got []string
	c.OnRoomRecordingChanged(func(room string) { got = append(got, room) })
	ctx := context.Background()
	// The catalog says recording, but no session runs (its process died unheard).
	if err := c.cat.PutBroadcast(ctx, catalog.Broadcast{StreamID: "room1_composite", Status: catalog.StatusBroadcasting,
		State: string(worker.Active), URL: "http://127.0.0.1/x"}); err != nil {
		t.Fatal(err)
	}
	err := c.svc.StopRoomRecording(ctx, "room1")
	var se *Error
	if !errors.As(err, &se) || se.Code != 404 {
		t.Fatalf("stop: %v, want not found", err)
	}
	if b, _ := c.svc.Broadcast(ctx, "room1"); !strings.Contains(b.MetaData, `"isRecording":false`) {
		t.Errorf("after a failed stop the room's metaData is %q", b.MetaData)
	}
	if len(got) != 1 || got[0] != "room1" {
		t.Errorf("hook calls %v, want one for room1", got)
	}
}

// TestCircleQueryCredential: a browser cannot set headers on a WebSocket, so the upgrade may
// carry the API token as ?apiToken=; a header, when present, is what counts.
func TestCircleQueryCredential(t *testing.T) {
	c := openNode(t, func(cfg *Config) { cfg.APIToken = "secret-api-token" })
	for _, tc := range []struct {
		query, header string
		allowed       bool
	}{
		{query: "", allowed: false},
		{query: "?apiToken=secret-api-token", allowed: true},
		{query: "?apiToken=wrong", allowed: false},
		{query: "?token=secret-api-token", allowed: false}, // token is a stream token's name
		{query: "?apiToken=secret-api-token", header: "Bearer wrong", allowed: false},
		{query: "", header: "Bearer secret-api-token", allowed: true},
	} {
		r := httptest.NewRequest("GET", "http://127.0.0.1:5080/live/websocket/application"+tc.query, nil)
		r.RemoteAddr = remote
		if tc.header != "" {
			r.Header.Set("Authorization", tc.header)
		}
		err := c.controlAllowed(withQueryCredential(r))
		if (err == nil) != tc.allowed {
			t.Errorf("%q with header %q: %v, want allowed=%v", tc.query, tc.header, err, tc.allowed)
		}
		if r.Header.Get("Authorization") != tc.header {
			t.Errorf("the caller's request was changed: %q", r.Header.Get("Authorization"))
		}
	}
}
