package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestRESTv2AsAntMediaServesIt drives one session through the REST calls as today's Ant Media
// documents them: an endpoint added before the stream is live starts with it, jsCommand runs
// at start, send-command runs a function body, the recording toggle answers the VoD's id,
// metaData is kept, vods/list filters by stream.
func TestRESTv2AsAntMediaServesIt(t *testing.T) {
	s := startService(t)
	const id = "drift"
	type listed struct {
		StreamID     string `json:"streamId"`
		Status       string `json:"status"`
		Name         string `json:"name"`
		MetaData     string `json:"metaData"`
		EndPointList []struct {
			ID     string `json:"endpointServiceId"`
			URL    string `json:"endpointUrl"`
			Type   string `json:"type"`
			Status string `json:"status"`
		} `json:"endPointList"`
	}
	get := func(streamID string) (int, listed) {
		var b listed
		code := s.getJSON("/live/rest/v2/broadcasts/"+streamID, &b)
		return code, b
	}

	// An endpoint before the stream is live: listed as created, started with the session.
	target := s.base + "/live/whip/drift-copy"
	r := s.call(http.MethodPost, "/live/rest/v2/broadcasts/"+id+"/endpoint", map[string]string{"endpointUrl": target})
	if !r.Success || r.DataID == nil || *r.DataID == "" {
		t.Fatalf("endpoint before live: %+v %s", r, r.msg())
	}
	eid := *r.DataID
	if code, b := get(id); code != http.StatusOK || b.Status != "created" || len(b.EndPointList) != 1 ||
		b.EndPointList[0].ID != eid || b.EndPointList[0].Status != "created" || b.EndPointList[0].URL != target || b.EndPointList[0].Type != "whip" {
		t.Errorf("before live: HTTP %d %+v", code, b)
	}

	if r := s.start(id, map[string]any{"url": s.page("test-pattern.html"), "width": 640, "height": 360,
		"jsCommand": "window.setAtStart = document.readyState; return 'ignored'"}); !r.Success {
		t.Fatalf("start: %s", r.msg())
	}
	waitFor(t, "the endpoint added before live to carry the stream", 20*time.Second, func() bool {
		code, b := get("drift-copy")
		return code == http.StatusOK && b.Status == "broadcasting"
	})
	// The receiving side lists the stream once it answered the offer; the push says running
	// once its own connection is up, a moment later.
	waitFor(t, "the endpoint running", 10*time.Second, func() bool {
		_, b := get(id)
		return len(b.EndPointList) == 1 && b.EndPointList[0].Status == "running"
	})
	if _, b := get(id); len(b.EndPointList) != 1 || b.EndPointList[0].ID != eid || b.EndPointList[0].Status != "running" {
		t.Errorf("the endpoint once live: %+v", b.EndPointList)
	}

	cmd := func(js string) result {
		return s.call(http.MethodPost, "/live/rest/v1/media-push/send-command?streamId="+id, map[string]any{"jsCommand": js})
	}
	for js, want := range map[string]string{
		"return window.setAtStart":               "complete", // jsCommand ran once the page had loaded
		"return 1+1":                             "2",
		"return null":                            "",
		"1+1":                                    "", // a function body without return gives undefined
		"return 'a' // a trailing comment":       "a",
		"return new Promise(r => r('resolved'))": "resolved",
	} {
		if r := cmd(js); !r.Success || r.msg() != want {
			t.Errorf("send-command %q: %+v %q, want %q", js, r, r.msg(), want)
		}
	}

	// metaData and name, as PUT broadcasts/{id} sets them.
	if r := s.call(http.MethodPut, "/live/rest/v2/broadcasts/"+id, map[string]string{"name": "Drift", "metaData": `{"topic":"drift"}`}); !r.Success {
		t.Errorf("PUT broadcast: %s", r.msg())
	}
	if _, b := get(id); b.Name != "Drift" || b.MetaData != `{"topic":"drift"}` {
		t.Errorf("after PUT: name %q metaData %q", b.Name, b.MetaData)
	}

	// The toggle answers the VoD's id, on and off; GET vods/{id} finds it.
	on := s.call(http.MethodPut, "/live/rest/v2/broadcasts/"+id+"/recording/true?recordType=mp4", nil)
	if !on.Success || on.DataID == nil || *on.DataID == "" || *on.DataID == id {
		t.Fatalf("recording on: %+v %s", on, on.msg())
	}
	time.Sleep(3 * time.Second)
	off := s.call(http.MethodPut, "/live/rest/v2/broadcasts/"+id+"/recording/false", nil)
	if !off.Success || off.DataID == nil || *off.DataID != *on.DataID {
		t.Fatalf("recording off: %+v %s; want dataId %s", off, off.msg(), *on.DataID)
	}
	var v vod
	if code := s.getJSON("/live/rest/v2/vods/"+*on.DataID, &v); code != http.StatusOK || v.StreamID != id || v.Format != "mp4" {
		t.Errorf("GET vods/%s: HTTP %d %+v", *on.DataID, code, v)
	}

	if r := s.call(http.MethodDelete, "/live/rest/v2/broadcasts/"+id+"/endpoint?endpointServiceId="+eid, nil); !r.Success {
		t.Errorf("remove the endpoint: %s", r.msg())
	}
	if r := s.stop(id); !r.Success {
		t.Fatalf("stop: %s", r.msg())
	}

	// vods/list by stream: this stream's VoD, not the WHIP copy's or anybody else's.
	var mine, none []vod
	if code := s.getJSON("/live/rest/v2/vods/list/0/10?streamId="+id+"&sort_by=date&order_by=asc", &mine); code != http.StatusOK ||
		len(mine) != 1 || mine[0].VodID != *on.DataID {
		t.Errorf("vods of %s: HTTP %d %+v", id, code, mine)
	}
	if code := s.getJSON("/live/rest/v2/vods/list/0/10?streamId=nobody", &none); code != http.StatusOK || len(none) != 0 {
		t.Errorf("vods of nobody: HTTP %d %+v", code, none)
	}
	resp, body := s.do(http.MethodGet, "/live/rest/v2/vods/list/0/10?sort_by=vod_id", nil)
	var bad result
	json.Unmarshal(body, &bad) //nolint:errcheck // checked below
	if resp.StatusCode != http.StatusBadRequest || bad.Success || !strings.Contains(bad.msg(), "sort_by") {
		t.Errorf("an unknown sort_by: HTTP %d %s", resp.StatusCode, body)
	}
}
