package catalog

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestFindVoDs(t *testing.T) {
	ctx := context.Background()
	c, err := Open(filepath.Join(t.TempDir(), "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i, v := range []struct{ id, name, stream string }{
		{"v1", "Lecture-b.mp4", "room1_composite"},
		{"v2", "a-part.mp3", "alice"},
		{"v3", "c-final.mp4", "room1_composite"},
	} {
		if err := c.AddVoD(ctx, VoD{VodID: v.id, VodName: v.name, StreamID: v.stream, FilePath: "streams/" + v.name,
			Type: "streamVod", CreationDate: int64(i), Duration: int64(10 - i)}); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(q VoDQuery) string {
		t.Helper()
		vods, err := c.FindVoDs(ctx, q)
		if err != nil {
			t.Fatalf("%+v: %v", q, err)
		}
		var out []string
		for _, v := range vods {
			out = append(out, v.VodID)
		}
		return strings.Join(out, ",")
	}
	for _, tc := range []struct {
		q    VoDQuery
		want string
	}{
		{VoDQuery{Size: 10}, "v3,v2,v1"},
		{VoDQuery{Size: 10, StreamID: "room1_composite"}, "v3,v1"},
		{VoDQuery{Size: 10, StreamID: "room1"}, ""}, // the whole id, not a part of it
		{VoDQuery{Size: 10, SortBy: "name", Ascending: true}, "v2,v3,v1"},
		{VoDQuery{Size: 10, SortBy: "duration", Ascending: true}, "v3,v2,v1"},
		{VoDQuery{Size: 10, Search: "LECTURE"}, "v1"},
		{VoDQuery{Size: 10, Search: "ali"}, "v2"},
		{VoDQuery{Size: 1, Offset: 1, StreamID: "room1_composite", Ascending: true}, "v3"},
		{VoDQuery{Size: 10, Search: "%"}, ""}, // a literal, not a pattern
	} {
		if got := ids(tc.q); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.q, got, tc.want)
		}
	}
	if _, err := c.FindVoDs(ctx, VoDQuery{Size: 10, SortBy: "vod_id; DROP TABLE vods"}); err == nil {
		t.Error("an unknown sort field was accepted")
	}
}

func TestBroadcastMeta(t *testing.T) {
	ctx := context.Background()
	c, err := Open(filepath.Join(t.TempDir(), "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.GetMeta(ctx, "s"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unset: %v", err)
	}
	for _, m := range []BroadcastMeta{{StreamID: "s", Name: "first", MetaData: `{"a":1}`}, {StreamID: "s", Name: "second", MetaData: `{"a":2}`}} {
		if err := c.PutMeta(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if m, err := c.GetMeta(ctx, "s"); err != nil || m.Name != "second" || m.MetaData != `{"a":2}` {
		t.Errorf("got %+v, %v", m, err)
	}
}
