package catalog

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
)

func TestCatalogSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "catalog.db")
	c, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range []string{"a", "b", "c"} {
		b := Broadcast{StreamID: id, Status: StatusBroadcasting, State: "ACTIVE", URL: "http://x/", Width: 640, Height: 360, StartTime: int64(i)}
		if err := c.PutBroadcast(ctx, b); err != nil {
			t.Fatal(err)
		}
		v := VoD{VodID: "v" + id, VodName: id + ".mp4", StreamID: id, FilePath: "streams/" + id + ".mp4", Type: "streamVod", CreationDate: int64(i), Duration: 1000, FileSize: 10}
		if err := c.AddVoD(ctx, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.UpdateState(ctx, "c", StatusFinished, "COMPLETE", "", 9); err != nil {
		t.Fatal(err)
	}
	c.Close()

	c, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ids, err := c.FailUnfinished(ctx, "restarted", 10)
	if err != nil || len(ids) != 2 {
		t.Fatalf("FailUnfinished = %v, %v; want a and b", ids, err)
	}
	b, err := c.GetBroadcast(ctx, "a")
	if err != nil || b.State != "FAILED" || b.Status != StatusFinished || b.Reason != "restarted" {
		t.Errorf("a after restart: %+v, %v", b, err)
	}
	list, err := c.ListBroadcasts(ctx, 1, 5)
	if err != nil || len(list) != 2 || list[0].StreamID != "b" {
		t.Errorf("ListBroadcasts(1,5) = %+v, %v; want b, a", list, err)
	}
	vods, err := c.ListVoDs(ctx, 0, 2)
	if err != nil || len(vods) != 2 || vods[0].VodID != "vc" {
		t.Errorf("ListVoDs(0,2) = %+v, %v", vods, err)
	}
	if _, err := c.DeleteVoD(ctx, "va"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetVoD(ctx, "va"); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted VoD: %v, want ErrNotFound", err)
	}
	if _, err := c.GetBroadcast(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown broadcast: %v, want ErrNotFound", err)
	}
	if err := c.UpdateState(ctx, "nope", "", "", "", 0); !errors.Is(err, ErrNotFound) {
		t.Errorf("UpdateState unknown: %v, want ErrNotFound", err)
	}
}

func TestFailUnfinishedExceptKeepsWhatStillRuns(t *testing.T) {
	ctx := context.Background()
	c, err := Open(filepath.Join(t.TempDir(), "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, id := range []string{"gone", "elsewhere"} {
		if err := c.PutBroadcast(ctx, Broadcast{StreamID: id, Status: StatusBroadcasting, State: "ACTIVE"}); err != nil {
			t.Fatal(err)
		}
	}
	failed, err := c.FailUnfinishedExcept(ctx, "lost", 5, []string{"elsewhere"})
	if err != nil || len(failed) != 1 || failed[0] != "gone" {
		t.Fatalf("FailUnfinishedExcept = %v, %v; want gone", failed, err)
	}
	if b, _ := c.GetBroadcast(ctx, "elsewhere"); b.State != "ACTIVE" {
		t.Errorf("a session still running elsewhere became %s", b.State)
	}
}
