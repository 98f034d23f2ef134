package controller

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"mediapush/catalog"
)

func TestEndpointRequestTargets(t *testing.T) {
	for _, tc := range []struct {
		req        endpointRequest
		rtmp, whip string
		err        string
	}{
		{req: endpointRequest{EndpointURL: "rtmp://a/live/k"}, rtmp: "rtmp://a/live/k"},
		{req: endpointRequest{RTMPURL: "rtmp://a/live/k"}, rtmp: "rtmp://a/live/k"},
		{req: endpointRequest{EndpointURL: "rtmp://a/live/k", RTMPURL: "rtmp://a/live/k"}, rtmp: "rtmp://a/live/k"},
		{req: endpointRequest{EndpointURL: "https://w/whip/x"}, whip: "https://w/whip/x"},
		{req: endpointRequest{WHIPURL: "https://w/whip/x"}, whip: "https://w/whip/x"},
		// rtmpUrl stays RTMP: an http URL there is refused by the RTMP check, as before.
		{req: endpointRequest{RTMPURL: "http://a/live/k"}, rtmp: "http://a/live/k"},
		{req: endpointRequest{EndpointURL: "rtmp://a/live/k", RTMPURL: "rtmp://b/live/k"}, err: "differ"},
		{req: endpointRequest{EndpointURL: "https://w/whip/x", WHIPURL: "https://v/whip/x"}, err: "differ"},
	} {
		rtmp, whip, err := tc.req.targets()
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%+v: %v, want an error saying %q", tc.req, err, tc.err)
			}
			continue
		}
		if err != nil || rtmp != tc.rtmp || whip != tc.whip {
			t.Errorf("%+v: rtmp %q whip %q %v; want %q %q", tc.req, rtmp, whip, err, tc.rtmp, tc.whip)
		}
	}
}

func TestVoDQuery(t *testing.T) {
	ok := []struct {
		query string
		want  catalog.VoDQuery
	}{
		{"", catalog.VoDQuery{Offset: 5, Size: 10}},
		{"streamId=room1_composite&sort_by=name&order_by=asc&search=lec",
			catalog.VoDQuery{Offset: 5, Size: 10, StreamID: "room1_composite", SortBy: "name", Ascending: true, Search: "lec"}},
		{"order_by=DESC&sort_by=date", catalog.VoDQuery{Offset: 5, Size: 10, SortBy: "date"}},
	}
	for _, tc := range ok {
		q, _ := url.ParseQuery(tc.query)
		got, err := vodQuery(5, 10, q)
		if err != nil || got != tc.want {
			t.Errorf("%q: %+v %v, want %+v", tc.query, got, err, tc.want)
		}
	}
	for query, says := range map[string]string{
		"sort_by=vod_id":                     `sort_by "vod_id" is not known: use date, duration, fileSize, name`,
		"sort_by=name%3BDROP+TABLE":          "is not known",
		"order_by=sideways":                  `order_by "sideways" is not known`,
		"streamId=../etc":                    "streamId",
		"search=" + strings.Repeat("x", 300): "longer than 256",
	} {
		q, _ := url.ParseQuery(query)
		if _, err := vodQuery(0, 10, q); err == nil || !strings.Contains(err.Error(), says) {
			t.Errorf("%q: %v, want an error saying %q", query, err, says)
		}
	}
}

func TestUpdateBroadcastMetaData(t *testing.T) {
	c := openNode(t)
	ctx := context.Background()
	meta := `{"mic":false}`
	name := "Alice"
	if err := c.svc.UpdateBroadcast(ctx, "alice", BroadcastUpdate{Name: &name, MetaData: &meta}); err != nil {
		t.Fatal(err)
	}
	b, err := c.svc.Broadcast(ctx, "alice")
	if err != nil || b.MetaData != meta || b.Name != "Alice" || b.Status != catalog.StatusCreated {
		t.Errorf("a stream known by its metaData: %+v %v", b, err)
	}
	// A room's metaData keeps isRecording, which follows its recording whatever is set.
	roomMeta := `{"isRecording":true,"topic":"weekly"}`
	if err := c.svc.UpdateBroadcast(ctx, "room1", BroadcastUpdate{MetaData: &roomMeta}); err != nil {
		t.Fatal(err)
	}
	c.cat.PutBroadcast(ctx, catalog.Broadcast{StreamID: "room1_composite", Status: catalog.StatusFinished, State: "COMPLETE"}) //nolint:errcheck
	b, _ = c.svc.Broadcast(ctx, "room1")
	var m map[string]any
	if json.Unmarshal([]byte(b.MetaData), &m); m["isRecording"] != false || m["topic"] != "weekly" {
		t.Errorf("room metaData %q: want isRecording false and the topic kept", b.MetaData)
	}
	long := strings.Repeat("x", maxMetaData+1)
	bad := "bad\x00name"
	for _, u := range []BroadcastUpdate{{MetaData: &long}, {Name: &bad}} {
		if err := c.svc.UpdateBroadcast(ctx, "alice", u); err == nil {
			t.Errorf("%+v accepted", u)
		}
	}
	if err := c.svc.UpdateBroadcast(ctx, "a/b", BroadcastUpdate{MetaData: &meta}); err == nil {
		t.Error("an invalid stream id was accepted")
	}
}

func TestPendingEndpoints(t *testing.T) {
	c := openNode(t, func(cfg *Config) { cfg.Destinations.Allow = []string{"127.0.0.1"} })
	ctx := context.Background()
	id, err := c.svc.AddEndpoint("later", "rtmp://127.0.0.1:1935/live/secret-key", "", "")
	if err != nil || id == "" {
		t.Fatalf("add before live: %q %v", id, err)
	}
	b, err := c.svc.Broadcast(ctx, "later")
	if err != nil || len(b.EndPointList) != 1 {
		t.Fatalf("broadcast %+v %v", b, err)
	}
	ep := b.EndPointList[0]
	if ep.EndpointServiceID != id || ep.Status != catalog.StatusCreated || ep.Type != "generic" || strings.Contains(ep.EndpointURL, "secret-key") {
		t.Errorf("pending endpoint listed as %+v", ep)
	}
	if _, err := c.svc.AddEndpoint("later", "rtmp://127.0.0.1:1935/live/secret-key", "", ""); err == nil {
		t.Error("the same URL twice was accepted")
	}
	if err := c.svc.RemoveEndpoint(ctx, "later", id); err != nil {
		t.Errorf("remove pending: %v", err)
	}
	if err := c.svc.RemoveEndpoint(ctx, "later", id); err == nil || !strings.Contains(err.Error(), "has no endpoint") {
		t.Errorf("remove twice: %v", err)
	}
	if _, err := c.svc.Broadcast(ctx, "later"); err == nil {
		t.Error("a stream with nothing left is still found")
	}
}
