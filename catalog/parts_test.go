package catalog

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
)

func TestBroadcastPartsAreShownAndResetByTheNextSession(t *testing.T) {
	ctx := context.Background()
	c, err := Open(filepath.Join(t.TempDir(), "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	b := Broadcast{StreamID: "s", Status: StatusBroadcasting, State: "ACTIVE", URL: "http://x/", Width: 640, Height: 360}
	if err := c.PutBroadcast(ctx, b); err != nil {
		t.Fatal(err)
	}
	if err := c.SetParts(ctx, "s", 2, 1); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.GetBroadcast(ctx, "s"); got.Parts != 2 || got.Gaps != 1 {
		t.Errorf("after a restart: parts %d, gaps %d; want 2, 1", got.Parts, got.Gaps)
	}
	if err := c.PutBroadcast(ctx, b); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.GetBroadcast(ctx, "s"); got.Parts != 0 || got.Gaps != 0 {
		t.Errorf("the next session of the stream shows parts %d, gaps %d; want none", got.Parts, got.Gaps)
	}
	if err := c.SetParts(ctx, "nobody", 2, 1); !errors.Is(err, ErrNotFound) {
		t.Errorf("parts of an unknown broadcast: %v", err)
	}
}

func TestOpenAddsThePartsColumnsToAnEarlierCatalog(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "catalog.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	// The broadcasts table as the first version made it, with one broadcast.
	if _, err := db.ExecContext(ctx, `CREATE TABLE broadcasts (stream_id TEXT PRIMARY KEY, status TEXT NOT NULL,
		state TEXT NOT NULL, url TEXT NOT NULL, width INTEGER NOT NULL, height INTEGER NOT NULL,
		record_type TEXT NOT NULL, start_time INTEGER NOT NULL, end_time INTEGER NOT NULL,
		reason TEXT NOT NULL, updated INTEGER NOT NULL);
		INSERT INTO broadcasts VALUES ('old', 'finished', 'COMPLETE', 'http://x/', 640, 360, 'mp4', 1, 2, '', 3)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	c, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got, err := c.GetBroadcast(ctx, "old")
	if err != nil || got.State != "COMPLETE" || got.Parts != 0 {
		t.Errorf("the earlier broadcast: %+v, %v", got, err)
	}
}
