package cluster

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"mediapush/recorder"
	"mediapush/worker"
)

// roundTrip sends v through JSON as a node and the controller do.
func roundTrip[T any](t *testing.T, v T) T {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out T
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestMessagesRoundTrip(t *testing.T) {
	at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	job := worker.Job{StreamID: "s1", URL: "https://example.com/page", Width: 640, Height: 360,
		Record: []recorder.Format{recorder.MP4}, Endpoints: []string{"rtmp://example.com/live/key"}}
	start := StartRequest{Job: job}
	if got := roundTrip(t, start); !reflect.DeepEqual(got, start) {
		t.Errorf("start: got %+v, want %+v", got, start)
	}
	req := Request{Op: OpSetRecording, StreamID: "s1", On: true, Formats: []recorder.Format{recorder.WebM}}
	if got := roundTrip(t, req); !reflect.DeepEqual(got, req) {
		t.Errorf("request: got %+v, want %+v", got, req)
	}
	ev := worker.Event{StreamID: "s1", State: worker.Complete, At: at, Recordings: []worker.Recording{
		{StreamID: "s1", Format: recorder.MP4, Key: "s1.mp4", StartedAt: at, Duration: 5 * time.Second, Size: 1234}}}
	reply := Reply{Event: &ev, Published: &Mark{Session: "abc", Seq: 3}}
	if got := roundTrip(t, reply); !reflect.DeepEqual(got, reply) {
		t.Errorf("reply: got %+v, want %+v", got, reply)
	}
	msg := EventMessage{Node: "w1", Session: "abc", Seq: 3, Event: ev}
	if got := roundTrip(t, msg); !reflect.DeepEqual(got, msg) {
		t.Errorf("event: got %+v, want %+v", got, msg)
	}
	st := Status{Node: "w1", Budget: worker.Budget{Cores: 1.8, Bytes: 1 << 30}, MaxSessions: 1, Running: []string{"s1"}, Draining: true, At: at,
		Load: worker.LoadReport{Load: worker.Cost{Cores: 0.5}, Learnt: map[string]worker.Cost{"360p/page/mp4": {Cores: 0.4, Bytes: 300 << 20}}}}
	if got := roundTrip(t, st); !reflect.DeepEqual(got, st) {
		t.Errorf("status: got %+v, want %+v", got, st)
	}
}

// A page's signals travel as events of their own kind, with no state, dated when the worker
// saw them; they keep their place in the session and end nothing.
func TestPageSignalsRoundTrip(t *testing.T) {
	at := time.Date(2026, 12, 3, 10, 0, 1, 250_000_000, time.UTC)
	p := &publisher{node: "w1", current: map[string]Mark{}}
	p.wake = newCond(p)
	start := p.add(worker.Event{StreamID: "room1_composite", State: worker.Starting})
	for i, ev := range []worker.Event{
		{StreamID: "room1_composite", Kind: worker.PageStarted, At: at},
		{StreamID: "room1_composite", Kind: worker.SpeakerChanged, Speaker: "zoe", At: at.Add(time.Second)},
		{StreamID: "room1_composite", Kind: worker.PageEnded, At: at.Add(2 * time.Second)},
	} {
		m := p.add(ev)
		if m.Session != start.Session || m.Seq != uint64(i)+2 {
			t.Errorf("%s: mark %+v, want session %s seq %d", ev.Kind, m, start.Session, i+2)
		}
		msg := EventMessage{Node: "w1", Session: m.Session, Seq: m.Seq, Event: ev}
		got := roundTrip(t, msg)
		if !reflect.DeepEqual(got, msg) {
			t.Errorf("%s: got %+v, want %+v", ev.Kind, got, msg)
		}
		if got.Event.State != "" || got.Event.State.Final() {
			t.Errorf("%s: carries state %q", ev.Kind, got.Event.State)
		}
	}
	data, _ := json.Marshal(worker.Event{StreamID: "s", Kind: worker.SpeakerChanged, Speaker: "zoe", At: at})
	if want := `{"streamId":"s","kind":"activeSpeaker","at":"2026-12-03T10:00:01.25Z","speaker":"zoe"}`; string(data) != want {
		t.Errorf("speaker event JSON %s, want %s", data, want)
	}
}

func TestEventsCarryNoToken(t *testing.T) {
	job := worker.Job{StreamID: "s1", URL: "https://example.com", Token: "secret-publish-token"}
	p := &publisher{node: "w1", current: map[string]Mark{}}
	p.wake = newCond(p)
	p.add(worker.Event{StreamID: "s1", State: worker.Starting, Job: &job})
	data, _ := json.Marshal(p.queue[0])
	if strings.Contains(string(data), "secret-publish-token") {
		t.Errorf("the event carries the job's token: %s", data)
	}
	if job.Token != "secret-publish-token" {
		t.Error("stripping the token changed the worker's job")
	}
}

func TestSequencePerSession(t *testing.T) {
	p := &publisher{node: "w1", current: map[string]Mark{}}
	p.wake = newCond(p)
	a1 := p.add(worker.Event{StreamID: "a", State: worker.Starting})
	b1 := p.add(worker.Event{StreamID: "b", State: worker.Starting})
	a2 := p.add(worker.Event{StreamID: "a", State: worker.Active})
	a3 := p.add(worker.Event{StreamID: "a", State: worker.Complete})
	again := p.add(worker.Event{StreamID: "a", State: worker.Starting})
	if a1.Seq != 1 || a2.Seq != 2 || a3.Seq != 3 || b1.Seq != 1 {
		t.Errorf("sequence numbers: a %d %d %d, b %d; want 1 2 3, 1", a1.Seq, a2.Seq, a3.Seq, b1.Seq)
	}
	if a1.Session != a3.Session || a1.Session == b1.Session || again.Session == a1.Session || again.Seq != 1 {
		t.Errorf("sessions: a %v→%v, b %v, a again %v", a1, a3, b1, again)
	}
	if got := p.last("a"); got == nil || *got != again {
		t.Errorf("last of a = %v, want %v", got, again)
	}
}

func TestErrorsMapBack(t *testing.T) {
	limit := &worker.LimitError{Message: "not enough CPU", Cause: worker.CauseCPU, RetryAfter: 30 * time.Second}
	for _, tc := range []struct {
		err  error
		code Code
		is   error
	}{
		{worker.ErrExists, CodeExists, worker.ErrExists},
		{fmt.Errorf("s1: %w", worker.ErrNotFound), CodeNotFound, worker.ErrNotFound},
		{ErrShuttingDown, CodeShuttingDown, ErrShuttingDown},
		{errors.New("the page did not load"), CodeFailed, nil},
	} {
		wire := roundTrip(t, encodeError(tc.err))
		if wire.Code != tc.code {
			t.Errorf("%v: code %q, want %q", tc.err, wire.Code, tc.code)
		}
		back := wire.Err()
		if tc.is != nil && !errors.Is(back, tc.is) {
			t.Errorf("%v: back as %v, not errors.Is %v", tc.err, back, tc.is)
		}
		if back.Error() != tc.err.Error() {
			t.Errorf("message %q, want %q", back.Error(), tc.err.Error())
		}
	}
	wire := roundTrip(t, encodeError(fmt.Errorf("start: %w", limit)))
	var le *worker.LimitError
	if wire.Code != CodeLimit || !errors.As(wire.Err(), &le) || *le != *limit {
		t.Errorf("limit: %+v back as %v", wire, wire.Err())
	}
	if encodeError(nil) != nil || (*Error)(nil).Err() != nil {
		t.Error("no error must stay no error")
	}
}
