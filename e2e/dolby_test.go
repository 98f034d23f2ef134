package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"mediapush/controller"
	"mediapush/internal/mediacheck"
	"mediapush/internal/rtmptest"
)

// mixRecording is a recording as Dolby's Monitor API lists it.
type mixRecording struct {
	RecordingType string `json:"recordingType"`
	Duration      int64  `json:"duration"` // milliseconds
	URL           string `json:"url"`
	Filename      string `json:"filename"`
	Size          int64  `json:"size"`
	MediaType     string `json:"mediaType"`
	Mix           *struct {
		MixID     string `json:"mixId"`
		LayoutURL string `json:"layoutUrl"`
		Width     int    `json:"width"`
		Height    int    `json:"height"`
	} `json:"mix"`
}

// dolbyError is Dolby's error body.
type dolbyError struct {
	Code        string `json:"error_code"`
	Description string `json:"error_description"`
}

// dolby calls a Dolby route and decodes its answer into v when it is a success, or returns
// the error body otherwise.
func (s *service) dolby(method, path string, body, v any) (int, dolbyError) {
	s.t.Helper()
	resp, out := s.do(method, path, body)
	var e dolbyError
	if resp.StatusCode == http.StatusOK {
		if v != nil {
			if err := json.Unmarshal(out, v); err != nil {
				s.t.Fatalf("%s %s: %v: %s", method, path, err, out)
			}
		}
		return resp.StatusCode, e
	}
	if err := json.Unmarshal(out, &e); err != nil || e.Description == "" {
		s.t.Errorf("%s %s: HTTP %d, not Dolby's error shape: %s", method, path, resp.StatusCode, out)
	}
	if e.Code != strconv.Itoa(resp.StatusCode) {
		s.t.Errorf("%s %s: error_code %q on HTTP %d", method, path, e.Code, resp.StatusCode)
	}
	return resp.StatusCode, e
}

// monitor lists recordings through a Monitor route.
func (s *service) monitor(path string) []mixRecording {
	s.t.Helper()
	var list struct {
		Recordings []mixRecording `json:"recordings"`
	}
	if code, e := s.dolby(http.MethodGet, path, nil, &list); code != http.StatusOK {
		s.t.Fatalf("GET %s: HTTP %d %s", path, code, e.Description)
	}
	return list.Recordings
}

// fetch GETs an absolute URL, following redirects, and returns the status and the body.
func fetch(t *testing.T, u string) (int, []byte) {
	t.Helper()
	return fetchWith(t, http.DefaultClient, u)
}

// fetchWith is fetch with a client of the caller's (one that trusts a test server, say).
func fetchWith(t *testing.T, client *http.Client, u string) (int, []byte) {
	t.Helper()
	resp, err := client.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return resp.StatusCode, body
}

// TestDolbyMixes records one conference as two mixes at once through Dolby's recording API and
// follows the recordings through the Monitor API: listing, signed downloads (refused when
// altered or expired), deletion, and the errors of bad calls.
func TestDolbyMixes(t *testing.T) {
	// A short URL lifetime, so that expiry can be watched; the URL's expiry is in whole
	// seconds, so a URL lives between 2 and 3 s, enough to download a few megabytes locally.
	const ttl = 3 * time.Second
	s := startService(t, func(c *controller.Config) { c.DownloadTTL = ttl })
	const conf = "dolby-conf"
	layout := s.page("test-pattern.html?freq=440")
	startPath := "/v2/conferences/mix/" + conf + "/recording/start"
	mixes := []struct {
		id   string
		w, h int
	}{{"hd", 1280, 720}, {"sd", 640, 480}}

	// Both mixes start at once: two browsers on the same layout, each at its own size.
	began := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, len(mixes))
	for i, m := range mixes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = startMixConcurrently(s.base+startPath, conf, m.id, layout, m.w, m.h)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("start mix %s: %v", mixes[i].id, err)
		}
	}
	t.Logf("both mixes started in %s", time.Since(began).Round(time.Millisecond))
	for _, m := range mixes {
		if b := s.broadcast(conf + "_mix_" + m.id); b.State != "ACTIVE" || b.Width != m.w || b.Height != m.h {
			t.Errorf("mix %s while recording: %+v", m.id, b)
		}
	}

	// A mix that is already recording cannot start again, and says so.
	code, e := s.dolby(http.MethodPost, startPath, map[string]any{"layoutUrl": layout, "width": 1280, "height": 720, "mixId": "hd"}, nil)
	if code != http.StatusConflict || !strings.Contains(e.Description, "mix hd already") {
		t.Errorf("second start of mix hd: HTTP %d %q, want 409 naming the mix", code, e.Description)
	}

	time.Sleep(4 * time.Second)
	var stopped struct {
		ConferenceID string `json:"conferenceId"`
		Stopped      int    `json:"stopped"`
	}
	if code, e := s.dolby(http.MethodPost, "/v2/conferences/mix/"+conf+"/recording/stop", nil, &stopped); code != http.StatusOK || stopped.Stopped != 2 {
		t.Fatalf("stop: HTTP %d %q %+v, want both mixes stopped", code, e.Description, stopped)
	}
	for _, m := range mixes {
		if b := s.broadcast(conf + "_mix_" + m.id); b.State != "COMPLETE" {
			t.Errorf("mix %s after stop: %+v", m.id, b)
		}
	}
	// Nothing runs any more: a second stop, like one of a conference never recorded, is a 404.
	for _, c := range []string{conf, "quiet-conf"} {
		if code, e := s.dolby(http.MethodPost, "/v2/conferences/mix/"+c+"/recording/stop", nil, nil); code != http.StatusNotFound || !strings.Contains(e.Description, c) {
			t.Errorf("stop of %s with nothing running: HTTP %d %q, want 404 naming it", c, code, e.Description)
		}
	}

	// The Monitor API lists both, each with its own mix's size, as MP4s.
	byMix := map[string]mixRecording{}
	for _, r := range s.monitor("/v2/monitor/recordings") {
		if r.Mix == nil {
			t.Fatalf("a mix recording without its mix: %+v", r)
		}
		byMix[r.Mix.MixID] = r
	}
	if len(byMix) != len(mixes) {
		t.Fatalf("Monitor lists %+v, want mixes hd and sd", byMix)
	}
	for _, m := range mixes {
		r := byMix[m.id]
		if r.RecordingType != "mix" || r.MediaType != "video/mp4" || r.Mix.LayoutURL != layout ||
			r.Mix.Width != m.w || r.Mix.Height != m.h || r.Size <= 0 || r.Duration < 3500 ||
			!strings.HasPrefix(r.Filename, conf+"_mix_"+m.id) ||
			!strings.HasPrefix(r.URL, "/live/streams/"+url.PathEscape(r.Filename)+"?") {
			t.Errorf("mix %s: %+v %+v", m.id, r, *r.Mix)
		}
	}
	if n := len(s.monitor("/v2/monitor/recordings?mediaType=video/mp4")); n != 2 {
		t.Errorf("video/mp4 recordings: %d, want 2", n)
	}
	if n := len(s.monitor("/v2/monitor/recordings?mediaType=audio/mpeg")); n != 0 {
		t.Errorf("audio/mpeg recordings: %d, want none", n)
	}
	var confList struct {
		Conference struct {
			ConfID string `json:"confId"`
		} `json:"conference"`
		Recordings []mixRecording `json:"recordings"`
	}
	if code, _ := s.dolby(http.MethodGet, "/v2/monitor/conferences/"+conf+"/recordings", nil, &confList); code != http.StatusOK ||
		confList.Conference.ConfID != conf || len(confList.Recordings) != 2 {
		t.Errorf("the conference's recordings: HTTP %d %+v", code, confList)
	}
	if n := len(s.monitor("/v2/monitor/conferences/quiet-conf/recordings")); n != 0 {
		t.Errorf("a conference never recorded lists %d recordings", n)
	}

	// Each URL downloads its file. The URLs are taken fresh, just before, because they live
	// for seconds only here.
	files := map[string]string{}
	for _, m := range mixes {
		r := freshMix(t, s, m.id)
		code, body := fetch(t, s.base+r.URL)
		if code != http.StatusOK || int64(len(body)) != r.Size {
			t.Fatalf("download of mix %s: HTTP %d, %d bytes, listed %d", m.id, code, len(body), r.Size)
		}
		onDisk, err := os.ReadFile(filepath.Join(s.data, "streams", r.Filename))
		if err != nil || !bytes.Equal(body, onDisk) {
			t.Errorf("mix %s: the download is not the file (%v)", m.id, err)
		}
		files[m.id] = filepath.Join(t.TempDir(), r.Filename)
		if err := os.WriteFile(files[m.id], body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range mixes {
		info := checkRecording(t, files[m.id], "h264", "aac", m.w, m.h, 0, 0)
		listed := time.Duration(byMix[m.id].Duration) * time.Millisecond
		if d := info.Duration - listed; d < -500*time.Millisecond || d > 500*time.Millisecond || info.Duration < 3500*time.Millisecond {
			t.Errorf("mix %s lasts %s, listed %s; want ≥ 3.5 s and within 0.5 s", m.id, info.Duration, listed)
		}
	}

	// An altered URL is refused: another signature, another file under the same signature,
	// or a later expiry.
	hd, sd := freshMix(t, s, "hd"), freshMix(t, s, "sd")
	u, err := url.Parse(hd.URL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	sig := []byte(q.Get("signature"))
	// The first character: the last one of base64 carries padding bits, which a decoder
	// may ignore, so changing it need not change the signature.
	sig[0] = map[bool]byte{true: 'B', false: 'A'}[sig[0] == 'A']
	badSig := maps.Clone(q)
	badSig.Set("signature", string(sig))
	later := maps.Clone(q)
	exp, _ := strconv.ParseInt(q.Get("expires"), 10, 64)
	later.Set("expires", strconv.FormatInt(exp+3600, 10))
	for what, bad := range map[string]string{
		"signature":  u.Path + "?" + badSig.Encode(),
		"file":       "/live/streams/" + url.PathEscape(sd.Filename) + "?" + q.Encode(),
		"expiry":     u.Path + "?" + later.Encode(),
		"no expires": u.Path + "?signature=" + url.QueryEscape(q.Get("signature")),
	} {
		if code, body := fetch(t, s.base+bad); code != http.StatusForbidden || !strings.Contains(string(body), "bad URL signature") {
			t.Errorf("URL with another %s: HTTP %d %.200s, want 403 for a bad signature", what, code, body)
		}
	}
	if code, _ := fetch(t, s.base+hd.URL); code != http.StatusOK {
		t.Errorf("the genuine URL next to the altered ones: HTTP %d", code)
	}

	// An expired URL is refused, as expired.
	if wait := time.Until(time.Unix(exp, 0)); wait > 0 {
		time.Sleep(wait + 100*time.Millisecond)
	}
	if code, body := fetch(t, s.base+hd.URL); code != http.StatusForbidden || !strings.Contains(string(body), "expired") {
		t.Errorf("expired URL: HTTP %d %.200s, want 403 saying it expired", code, body)
	}

	// Deleting the conference's recordings empties the Monitor and the disk.
	var deleted struct {
		Deleted int `json:"deleted"`
	}
	if code, e := s.dolby(http.MethodDelete, "/v2/monitor/conferences/"+conf+"/recordings", nil, &deleted); code != http.StatusOK || deleted.Deleted != 2 {
		t.Errorf("delete: HTTP %d %q %+v, want 2 deleted", code, e.Description, deleted)
	}
	if left := s.monitor("/v2/monitor/recordings"); len(left) != 0 {
		t.Errorf("Monitor after delete: %+v", left)
	}
	if left := s.monitor("/v2/monitor/conferences/" + conf + "/recordings"); len(left) != 0 {
		t.Errorf("the conference's recordings after delete: %+v", left)
	}
	for _, m := range mixes {
		if _, err := os.Stat(filepath.Join(s.data, "streams", byMix[m.id].Filename)); !os.IsNotExist(err) {
			t.Errorf("mix %s: the file stays after delete (%v)", m.id, err)
		}
	}
	if resp, _ := s.do(http.MethodGet, "/live/streams/"+url.PathEscape(hd.Filename), nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a deleted recording: HTTP %d, want 404", resp.StatusCode)
	}

	// Bad calls are refused with a message naming what is wrong.
	bad := []struct {
		name, conf string
		body       any
		want       string
	}{
		{"too small", conf, map[string]any{"layoutUrl": layout, "width": 100, "height": 100, "mixId": "tiny"}, "size 100x100 is out of range"},
		{"below Dolby's minimum", conf, map[string]any{"layoutUrl": layout, "width": 518, "height": 390, "mixId": "tiny"}, "size 518x390 is out of range"},
		{"above Dolby's maximum", conf, map[string]any{"layoutUrl": layout, "width": 3840, "height": 2160, "mixId": "big"}, "size 3840x2160 is out of range"},
		{"width only", conf, map[string]any{"layoutUrl": layout, "width": 1280, "mixId": "half"}, "out of range"},
		{"odd size", conf, map[string]any{"layoutUrl": layout, "width": 641, "height": 481, "mixId": "odd"}, "even"},
		{"missing layoutUrl", conf, map[string]any{"width": 1280, "height": 720}, "layoutUrl is mandatory"},
		{"file layoutUrl", conf, map[string]any{"layoutUrl": "file:///etc/passwd"}, "only http and https"},
		{"bad mixId", conf, map[string]any{"layoutUrl": layout, "mixId": "a.b"}, "mixId"},
		{"unknown field", conf, map[string]any{"layoutUrl": layout, "colour": "red"}, "not valid JSON"},
		{"malformed JSON", conf, `{"layoutUrl": `, "not valid JSON"},
		{"bad conference id", "bad.conf", map[string]any{"layoutUrl": layout}, "conferenceId"},
		{"conference id too long", strings.Repeat("c", 129), map[string]any{"layoutUrl": layout}, "conferenceId"},
	}
	for _, c := range bad {
		code, e := s.dolby(http.MethodPost, "/v2/conferences/mix/"+c.conf+"/recording/start", c.body, nil)
		if code != http.StatusBadRequest || !strings.Contains(e.Description, c.want) {
			t.Errorf("%s: HTTP %d %q, want 400 naming %q", c.name, code, e.Description, c.want)
		}
	}
	for _, c := range []struct{ method, path string }{
		{http.MethodPost, "/v2/conferences/mix/bad.conf/recording/stop"},
		{http.MethodGet, "/v2/monitor/conferences/bad.conf/recordings"},
		{http.MethodDelete, "/v2/monitor/conferences/bad.conf/recordings"},
	} {
		if code, e := s.dolby(c.method, c.path, nil, nil); code != http.StatusBadRequest || !strings.Contains(e.Description, "conferenceId") {
			t.Errorf("%s %s: HTTP %d %q, want 400 naming conferenceId", c.method, c.path, code, e.Description)
		}
	}
	// None of them left a session or a broadcast behind.
	for _, id := range []string{"tiny", "big", "half", "odd", "default"} {
		var b broadcast
		if code := s.getJSON("/live/rest/v2/broadcasts/"+conf+"_mix_"+id, &b); code != http.StatusNotFound {
			t.Errorf("a refused start left broadcast %s_mix_%s: HTTP %d %+v", conf, id, code, b)
		}
	}
	if code, _ := s.dolby(http.MethodPost, "/v2/conferences/mix/"+conf+"/recording/stop", nil, nil); code != http.StatusNotFound {
		t.Errorf("stop after refused starts: HTTP %d, want 404: something runs", code)
	}
}

// startMixConcurrently starts a mix without the test's helpers, which may not fail the test
// from another goroutine, and checks Dolby's answer.
func startMixConcurrently(u, conf, mixID, layout string, w, h int) error {
	body, _ := json.Marshal(map[string]any{"layoutUrl": layout, "width": w, "height": h, "mixId": mixID})
	resp, err := http.Post(u, "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	var ans map[string]string
	if resp.StatusCode != http.StatusOK || json.Unmarshal(out, &ans) != nil {
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, out)
	}
	if ans["conferenceId"] != conf || ans["mixId"] != mixID || ans["streamId"] != conf+"_mix_"+mixID || ans["status"] != "IN_PROGRESS" {
		return fmt.Errorf("answer %v", ans)
	}
	return nil
}

// freshMix is the Monitor's listing of one mix, with a URL signed just now.
func freshMix(t *testing.T, s *service, mixID string) mixRecording {
	t.Helper()
	for _, r := range s.monitor("/v2/monitor/recordings") {
		if r.Mix != nil && r.Mix.MixID == mixID {
			return r
		}
	}
	t.Fatalf("mix %s is not listed", mixID)
	return mixRecording{}
}

// TestDolbyRTMP streams a conference's layout to an RTMP server with Dolby's rtmp routes.
func TestDolbyRTMP(t *testing.T) {
	s := startService(t)
	srv := rtmptest.Start(t)
	body := map[string]any{"uri": srv.URL("live-conf"), "layoutUrl": s.page("test-pattern.html"), "width": 640, "height": 480}
	if code, e := s.dolby(http.MethodPost, "/v2/conferences/mix/conf9/rtmp/start", body, nil); code != http.StatusOK {
		t.Fatalf("rtmp/start: HTTP %d %s", code, e.Description)
	}
	if code, e := s.dolby(http.MethodPost, "/v2/conferences/mix/conf9/rtmp/start", map[string]any{"uri": "http://x/y", "layoutUrl": s.page("test-pattern.html"), "mixId": "other"}, nil); code != http.StatusBadRequest || !strings.Contains(e.Description, "rtmp") {
		t.Errorf("rtmp/start with an http uri: HTTP %d %q", code, e.Description)
	}
	deadline := time.Now().Add(20 * time.Second)
	for len(srv.Recordings("live-conf")) == 0 && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(3 * time.Second)
	if code, e := s.dolby(http.MethodPost, "/v2/conferences/mix/conf9/rtmp/stop", nil, nil); code != http.StatusOK {
		t.Fatalf("rtmp/stop: HTTP %d %s", code, e.Description)
	}
	flv := srv.Recordings("live-conf")
	if len(flv) != 1 {
		t.Fatalf("nginx recorded %v", flv)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	info, err := mediacheck.Probe(ctx, flv[0])
	if err != nil || info.Video == nil || info.Video.Codec != "h264" || info.Video.Width != 640 || info.Video.Height != 480 ||
		info.Audio == nil || info.Audio.Codec != "aac" || info.Duration < 2*time.Second {
		t.Errorf("what reached the RTMP server: %+v %v", info, err)
	}
	if code, _ := s.dolby(http.MethodPost, "/v2/conferences/mix/conf9/rtmp/stop", nil, nil); code != http.StatusNotFound {
		t.Errorf("a second rtmp/stop: HTTP %d", code)
	}
}
