package catalog

import (
	"context"
	"path/filepath"
	"testing"
)

func TestQualityOfAVoD(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "catalog.db")
	c, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []VoD{
		{VodID: "1", VodName: "a.mp4", StreamID: "a", Quality: QualityPending, QualityReport: []byte(`{"requestedFps":30}`)},
		{VodID: "2", VodName: "b.mp4", StreamID: "b"}, // made before measuring, or with it off
	} {
		if err := c.AddVoD(ctx, v); err != nil {
			t.Fatal(err)
		}
	}
	pending, err := c.VoDsOfQuality(ctx, QualityPending)
	if err != nil || len(pending) != 1 || pending[0].VodName != "a.mp4" || string(pending[0].QualityReport) != `{"requestedFps":30}` {
		t.Fatalf("pending: %+v, %v", pending, err)
	}
	if err := c.SetQuality(ctx, "a.mp4", QualitySuspect, []byte(`{"problems":["black"]}`)); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if c, err = Open(path); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	a, err := c.GetVoD(ctx, "1")
	if err != nil || a.Quality != QualitySuspect || string(a.QualityReport) != `{"problems":["black"]}` {
		t.Errorf("after SetQuality and a reopen: %+v, %v", a, err)
	}
	b, err := c.GetVoD(ctx, "2")
	if err != nil || b.Quality != "" || b.QualityReport != nil {
		t.Errorf("a VoD never measured: %+v, %v", b, err)
	}
	if pending, _ := c.VoDsOfQuality(ctx, QualityPending); len(pending) != 0 {
		t.Errorf("still pending: %+v", pending)
	}
}
