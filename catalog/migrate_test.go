package catalog

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

// A catalog written before sessions carried their kind gets the kind, room, conference and mix
// of its rows from their stream ids, once; what is stored afterwards is read as stored.
func TestMigrationFillsKindsFromOldIDs(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "catalog.db")
	old, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	stmts := []string{schema,
		`ALTER TABLE vods ADD COLUMN format TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE vods ADD COLUMN merged INTEGER NOT NULL DEFAULT 0`,
		`ALTER TABLE vods ADD COLUMN kind TEXT NOT NULL DEFAULT 'mix'`,
		`ALTER TABLE vods ADD COLUMN storage TEXT NOT NULL DEFAULT 'local'`,
		`ALTER TABLE vods ADD COLUMN info TEXT NOT NULL DEFAULT ''`,
	}
	for _, id := range []string{"room1_composite", "conf-1_mix_default", "conf-1_rtmp_wide", "plain", "a_composite_b", "_mix_x", "c_mix_"} {
		stmts = append(stmts,
			`INSERT INTO broadcasts VALUES ('`+id+`', 'finished', 'COMPLETE', 'http://x/', 1280, 720, 'mp4', 1, 2, '', 0)`,
			`INSERT INTO vods (vod_id, vod_name, stream_id, file_path, type, creation_date, start_time, duration, file_size, partial, format)
			 VALUES ('v-`+id+`', '`+id+`.mp4', '`+id+`', 'streams/`+id+`.mp4', 'streamVod', 1, 1, 1000, 10, 0, 'mp4')`)
	}
	stmts = append(stmts, `INSERT INTO vods (vod_id, vod_name, stream_id, file_path, type, creation_date, start_time, duration, file_size, partial, kind)
		VALUES ('leg', 'leg.mp3', 'p_mix_1', 'streams/leg.mp3', 'streamVod', 1, 1, 1000, 10, 0, 'individual')`)
	for _, s := range stmts {
		if _, err := old.ExecContext(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	old.Close()

	c, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Broadcast{
		"room1_composite":    {Kind: "room", Room: "room1"},
		"conf-1_mix_default": {Kind: "mix", Conference: "conf-1", MixID: "default"},
		"conf-1_rtmp_wide":   {Kind: "mix-rtmp", Conference: "conf-1", MixID: "wide"},
		"plain":              {Kind: KindPush},
		"a_composite_b":      {Kind: KindPush},
		"_mix_x":             {Kind: KindPush},
		"c_mix_":             {Kind: KindPush},
	}
	for id, w := range want {
		b, err := c.GetBroadcast(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if b.Kind != w.Kind || b.Room != w.Room || b.Conference != w.Conference || b.MixID != w.MixID {
			t.Errorf("broadcast %s: kind %q room %q conference %q mix %q; want %+v", id, b.Kind, b.Room, b.Conference, b.MixID, w)
		}
	}
	mixes, err := c.ConferenceMixes(ctx, "conf-1")
	if err != nil || len(mixes) != 1 || mixes[0].StreamID != "conf-1_mix_default" || mixes[0].MixID != "default" {
		t.Errorf("ConferenceMixes(conf-1) = %+v, %v; want the one mix recording", mixes, err)
	}
	all, err := c.Mixes(ctx, "", 0, 10)
	if err != nil || len(all) != 1 {
		t.Errorf("Mixes = %+v, %v; want only conf-1's (not the participant's audio)", all, err)
	}

	// Filled once: a row stored afterwards keeps what it was stored with.
	if err := c.PutBroadcast(ctx, Broadcast{StreamID: "other_composite", Status: StatusCreated, State: "STARTING"}); err != nil {
		t.Fatal(err)
	}
	c.Close()
	c, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if b, err := c.GetBroadcast(ctx, "other_composite"); err != nil || b.Kind != KindPush || b.Room != "" {
		t.Errorf("a broadcast stored after the migration = %+v, %v; want it as stored", b, err)
	}
	if b, err := c.GetBroadcast(ctx, "room1_composite"); err != nil || b.Kind != "room" || b.Room != "room1" {
		t.Errorf("after reopening: %+v, %v", b, err)
	}
}

// Running mixes are found by their conference and kind, whatever their stream ids say.
func TestRunningMixes(t *testing.T) {
	ctx := context.Background()
	c, err := Open(filepath.Join(t.TempDir(), "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, b := range []Broadcast{
		{StreamID: "s1", State: "ACTIVE", Kind: "mix", Conference: "c1", MixID: "a"},
		{StreamID: "s2", State: "STARTING", Kind: "mix", Conference: "c1", MixID: "b"},
		{StreamID: "s3", State: "COMPLETE", Kind: "mix", Conference: "c1", MixID: "c"},
		{StreamID: "s4", State: "ACTIVE", Kind: "mix-rtmp", Conference: "c1", MixID: "a"},
		{StreamID: "c1_mix_z", State: "ACTIVE"},
	} {
		b.Status = StatusBroadcasting
		if err := c.PutBroadcast(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	ids, err := c.RunningMixes(ctx, "c1", "mix")
	if err != nil || len(ids) != 2 || ids[0] != "s1" || ids[1] != "s2" {
		t.Errorf("RunningMixes(c1, mix) = %v, %v; want s1 s2", ids, err)
	}
	ids, err = c.RunningMixes(ctx, "c1", "mix-rtmp")
	if err != nil || len(ids) != 1 || ids[0] != "s4" {
		t.Errorf("RunningMixes(c1, mix-rtmp) = %v, %v; want s4", ids, err)
	}
}
