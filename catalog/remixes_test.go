package catalog

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
)

func TestRemixesAreKeptAndRequeuedAfterARestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "catalog.db")
	c, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	jobs := []Remix{
		{ID: "a", Conference: "r1", RawVoD: "v1", MixID: "grid", LayoutURL: "http://x/l", Width: 1280, Height: 720, Format: "mp4", Status: RemixCompleted, Progress: 100, VodID: "out", DurationMs: 9000, CreatedAt: 1, RenderMs: 3000},
		{ID: "b", Conference: "r1", RawVoD: "v1", MixID: "speaker", Format: "mp4", Status: RemixInProgress, Progress: 40, CreatedAt: 2},
		{ID: "c", Conference: "r2", RawVoD: "v2", MixID: "default", Format: "mp3", Status: RemixQueued, CreatedAt: 3},
	}
	for _, r := range jobs {
		if err := c.PutRemix(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	c.Close()

	if c, err = Open(path); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got, err := c.GetRemix(ctx, "a"); err != nil || got != jobs[0] {
		t.Errorf("GetRemix(a) = %+v, %v; want %+v", got, err, jobs[0])
	}
	if _, err := c.GetRemix(ctx, "zz"); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetRemix of an unknown id: %v, want ErrNotFound", err)
	}
	ids, err := c.RequeueRemixes(ctx)
	if err != nil || len(ids) != 1 || ids[0] != "b" {
		t.Fatalf("RequeueRemixes = %v, %v; want [b]", ids, err)
	}
	queued, err := c.RemixesIn(ctx, RemixQueued)
	if err != nil || len(queued) != 2 || queued[0].ID != "b" || queued[1].ID != "c" {
		t.Errorf("queued after the restart: %+v, %v; want b (with its progress kept) then c", queued, err)
	}
	if queued[0].Progress != 40 {
		t.Errorf("requeued remix's progress = %d, want 40 kept", queued[0].Progress)
	}
	r1, err := c.Remixes(ctx, "r1", 10)
	if err != nil || len(r1) != 2 || r1[0].ID != "b" || r1[1].ID != "a" {
		t.Errorf("Remixes(r1) = %+v, %v; want b, a (newest first)", r1, err)
	}
	if all, err := c.Remixes(ctx, "", 2); err != nil || len(all) != 2 || all[0].ID != "c" {
		t.Errorf("Remixes(all, 2) = %+v, %v; want c, b", all, err)
	}
}
