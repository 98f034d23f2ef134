package controller

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"mediapush/catalog"
	"mediapush/remix"
)

// blockingRender stands for rendering in tests of the queue: each remix waits until the test
// lets it finish, and the test hears which started.
type blockingRender struct {
	started chan string
	mu      sync.Mutex
	release map[string]chan error
}

func newBlockingRender() *blockingRender {
	return &blockingRender{started: make(chan string, 10), release: map[string]chan error{}}
}

func (b *blockingRender) gate(id string) chan error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.release[id] == nil {
		b.release[id] = make(chan error, 1)
	}
	return b.release[id]
}

func (b *blockingRender) render(ctx context.Context) func(job *catalog.Remix, dir string, log zerolog.Logger) (catalog.VoD, error) {
	return func(job *catalog.Remix, dir string, log zerolog.Logger) (catalog.VoD, error) {
		b.started <- job.ID
		select {
		case err := <-b.gate(job.ID):
			return catalog.VoD{VodID: "vod-" + job.ID}, err
		case <-ctx.Done():
			return catalog.VoD{}, ctx.Err()
		}
	}
}

func (b *blockingRender) next(t *testing.T) string {
	t.Helper()
	select {
	case id := <-b.started:
		return id
	case <-time.After(10 * time.Second):
		t.Fatal("no remix started")
		return ""
	}
}

func (b *blockingRender) none(t *testing.T) {
	t.Helper()
	select {
	case id := <-b.started:
		t.Fatalf("remix %s started while another ran", id)
	case <-time.After(200 * time.Millisecond):
	}
}

func newRemixTestService(t *testing.T, path string) *Service {
	t.Helper()
	cat, err := catalog.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cat.Close() })
	return &Service{cat: cat, streamsDir: t.TempDir(), now: time.Now, log: zerolog.Nop()}
}

func queueRemix(t *testing.T, s *Service, id, conference string, created int64) {
	t.Helper()
	if err := s.cat.PutRemix(context.Background(), catalog.Remix{ID: id, Conference: conference, RawVoD: "raw", MixID: "m",
		Format: "mp4", Status: catalog.RemixQueued, CreatedAt: created}); err != nil {
		t.Fatal(err)
	}
}

func waitRemixStatus(t *testing.T, s *Service, id, status string) catalog.Remix {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r, err := s.cat.GetRemix(context.Background(), id)
		if err == nil && r.Status == status {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("remix %s is %+v (%v), want %s", id, r, err, status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRemixesRunOneAtATimeOldestFirst(t *testing.T) {
	s := newRemixTestService(t, filepath.Join(t.TempDir(), "catalog.db"))
	r := newRemixer(s, remix.PageOptions{}, 30, t.TempDir(), zerolog.Nop())
	b := newBlockingRender()
	r.renderJob = b.render(r.ctx)
	queueRemix(t, s, "a1", "roomA", 1)
	queueRemix(t, s, "a2", "roomA", 2)
	queueRemix(t, s, "b1", "roomB", 3)
	r.start()
	defer r.close()

	if got := b.next(t); got != "a1" {
		t.Fatalf("first remix to run: %s, want the oldest, a1", got)
	}
	waitRemixStatus(t, s, "a1", catalog.RemixInProgress)
	b.none(t)
	if q, _ := s.cat.GetRemix(context.Background(), "a2"); q.Status != catalog.RemixQueued {
		t.Errorf("a conference's second remix is %s while its first runs, want QUEUED", q.Status)
	}
	b.gate("a1") <- nil
	done := waitRemixStatus(t, s, "a1", catalog.RemixCompleted)
	if done.Progress != 100 || done.VodID != "vod-a1" || done.EndedAt == 0 {
		t.Errorf("completed remix: %+v", done)
	}
	if got := b.next(t); got != "a2" {
		t.Fatalf("second remix to run: %s, want a2", got)
	}
	b.gate("a2") <- errors.New("the layout page does not use room.js")
	failed := waitRemixStatus(t, s, "a2", catalog.RemixError)
	if !strings.Contains(failed.Error, "room.js") {
		t.Errorf("failed remix's error: %q", failed.Error)
	}
	if got := b.next(t); got != "b1" {
		t.Fatalf("third remix to run: %s, want b1", got)
	}
	b.gate("b1") <- nil
	waitRemixStatus(t, s, "b1", catalog.RemixCompleted)
}

func TestRemixUnderWayIsTakenUpAfterARestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "catalog.db")
	s := newRemixTestService(t, path)
	dir := t.TempDir()
	r := newRemixer(s, remix.PageOptions{}, 30, dir, zerolog.Nop())
	b := newBlockingRender()
	r.renderJob = b.render(r.ctx)
	queueRemix(t, s, "x", "room", 1)
	r.start()
	b.next(t)
	r.close() // the node stops while it renders
	if got, _ := s.cat.GetRemix(context.Background(), "x"); got.Status != catalog.RemixInProgress || got.RenderMs < 0 {
		t.Fatalf("remix stopped with its node: %+v, want it left IN_PROGRESS", got)
	}

	r2 := newRemixer(s, remix.PageOptions{}, 30, dir, zerolog.Nop())
	b2 := newBlockingRender()
	r2.renderJob = b2.render(r2.ctx)
	r2.start()
	defer r2.close()
	if got := b2.next(t); got != "x" {
		t.Fatalf("after the restart %s ran, want x", got)
	}
	b2.gate("x") <- nil
	waitRemixStatus(t, s, "x", catalog.RemixCompleted)
}

func TestCheckRemix(t *testing.T) {
	req := RemixRequest{Layout: "speaker"}
	if err := checkRemix("room1", "live", &req); err != nil {
		t.Fatal(err)
	}
	if req.LayoutURL != "/live/multitrack-play.html?id=room1&layout=speaker" ||
		req.MixID != "speaker" || req.Width != 1280 || req.Height != 720 || req.Format != "mp4" {
		t.Errorf("defaults: %+v", req)
	}
	req = RemixRequest{LayoutURL: "https://layouts.example.com/x.html", RecordType: "mp3", Width: 640, Height: 480}
	if err := checkRemix("room1", "", &req); err != nil || req.Format != "mp3" || req.MixID != "remix" {
		t.Errorf("a Dolby remix: %+v, %v", req, err)
	}
	for _, bad := range []struct {
		conf string
		req  RemixRequest
		want string
	}{
		{"room 1", RemixRequest{Layout: "grid"}, "conferenceId"},
		{"r", RemixRequest{Layout: "mosaic"}, "layout \"mosaic\""},
		{"r", RemixRequest{Layout: "grid", Format: "webm"}, "format \"webm\""},
		{"r", RemixRequest{Layout: "grid", Width: 100, Height: 100}, "out of range"},
		{"r", RemixRequest{Layout: "grid", MixID: "a/b"}, "mixId"},
		{"r", RemixRequest{Layout: "grid", RawVodID: "../x"}, "rawVodId"},
		{"r", RemixRequest{LayoutURL: "/live/multitrack-play.html"}, "whole URL"},
	} {
		req := bad.req
		if err := checkRemix(bad.conf, "live", &req); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("checkRemix(%q, %+v) = %v, want an error about %s", bad.conf, bad.req, err, bad.want)
		}
	}
	if err := checkRemix("r", "", &RemixRequest{}); err == nil || !strings.Contains(err.Error(), "layoutUrl") {
		t.Errorf("a Dolby remix without layoutUrl: %v", err)
	}
}
