package webhook

import (
	"context"
	"encoding/json"
	"testing"
)

// TestFullOutboxDropsTheOldest: while the receiver is away the outbox fills; beyond MaxEvents
// each new event pushes out the oldest waiting one, which is logged and counted, and the rest
// are delivered in order once the receiver is back.
func TestFullOutboxDropsTheOldest(t *testing.T) {
	cfg, logs := testConfig(t)
	rc := &receiver{}
	srv := serve(t, rc)
	cfg.URL = srv.URL
	cfg.DB = openDB(t, tempDBPath(t))
	cfg.MaxEvents = 3
	o := mustNew(t, cfg)

	var ids []string
	for i := range 5 { // Run is not running: nothing is delivered yet
		ids = append(ids, enqueue(t, o, "Session.State", recordingsAvailable{ConferenceID: "c", Seq: i}))
	}
	if n, err := o.Pending(context.Background()); err != nil || n != 3 {
		t.Fatalf("Pending = %d, %v; want 3 (MaxEvents)", n, err)
	}
	if d := o.Dropped(); d != 2 {
		t.Errorf("Dropped = %d, want 2", d)
	}
	for _, id := range ids[:2] {
		if e := logs.entries(map[string]any{"level": "error", "id": id, "event": "Session.State"}); len(e) != 1 {
			t.Errorf("dropped event %s: %d error log lines, want 1", id, len(e))
		}
	}

	start(t, o)
	flush(t, o)
	got := rc.got()
	if len(got) != 3 {
		t.Fatalf("receiver got %d events, want the 3 newest", len(got))
	}
	for i, r := range got {
		var p recordingsAvailable
		if err := json.Unmarshal(r.body, &p); err != nil {
			t.Fatal(err)
		}
		if p.Seq != i+2 || r.header.Get(HeaderDelivery) != ids[i+2] {
			t.Errorf("delivery %d is event %d (%s), want event %d", i, p.Seq, r.header.Get(HeaderDelivery), i+2)
		}
	}
}

// TestUnboundedOutbox: a negative MaxEvents keeps every event.
func TestUnboundedOutbox(t *testing.T) {
	cfg, _ := testConfig(t)
	cfg.URL = "http://127.0.0.1:1/hooks"
	cfg.DB = openDB(t, tempDBPath(t))
	cfg.MaxEvents = -1
	o := mustNew(t, cfg)
	for i := range 20 {
		enqueue(t, o, "Session.State", recordingsAvailable{Seq: i})
	}
	if n, err := o.Pending(context.Background()); err != nil || n != 20 || o.Dropped() != 0 {
		t.Errorf("Pending = %d, %v, Dropped = %d; want 20, nil, 0", n, err, o.Dropped())
	}
}
