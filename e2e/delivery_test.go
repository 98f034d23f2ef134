package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"mediapush/controller"
	"mediapush/internal/mediacheck"
	"mediapush/storage"
	"mediapush/webhook"
)

const (
	s3Bucket = "recordings"
	s3Prefix = "mediapush/"
)

var hookSecret = []byte("e2e-webhook-secret-0123456789")

// shortSession is how long the sessions of these tests record. Not less: a session stopped
// within about 2.5 s of its start answer leaves no recording at all, because its recording
// begins only once the audio is timed by an RTCP sender report, up to 3.5 s after the first
// frame; that is not what these tests are about.
const shortSession = 4 * time.Second

// flakyS3 is an in-memory S3 server that refuses every request while down is set. It is served
// over TLS because over plain HTTP minio-go sends multipart parts in aws-chunked encoding,
// which gofakes3 stores chunk headers and all.
type flakyS3 struct {
	srv     *httptest.Server
	backend *s3mem.Backend
	down    atomic.Bool
	refused atomic.Int64 // requests answered 503
}

func newFlakyS3(t *testing.T) *flakyS3 {
	t.Helper()
	f := &flakyS3{backend: s3mem.New()}
	if err := f.backend.CreateBucket(s3Bucket); err != nil {
		t.Fatal(err)
	}
	s3 := gofakes3.New(f.backend, gofakes3.WithLogger(gofakes3.DiscardLog())).Server()
	f.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f.down.Load() {
			f.refused.Add(1)
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>ServiceUnavailable</Code><Message>down for the test</Message></Error>`)
			return
		}
		s3.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// configure points a service's S3 storage at f.
func (f *flakyS3) configure(c *controller.Config) {
	c.S3 = storage.S3Config{
		Endpoint:  f.srv.Listener.Addr().String(),
		Secure:    true,
		Region:    "us-east-1", // else minio-go asks the server, which fails while it is down
		Bucket:    s3Bucket,
		Prefix:    s3Prefix,
		AccessKey: "e2e-access",
		SecretKey: "e2e-secret",
		Transport: f.srv.Client().Transport,
		// One request per try: the uploader's own retries are what the test watches.
		MaxRetries: 1,
	}
	c.UploadBackoff = 200 * time.Millisecond
}

// get fetches a URL of the S3 server (pre-signed) with a client that trusts its certificate.
func (f *flakyS3) get(t *testing.T, u string) (int, []byte) {
	t.Helper()
	return fetchWith(t, f.srv.Client(), u)
}

// hookCall is one request the webhook receiver got.
type hookCall struct {
	event, id string
	body      []byte
	status    int   // what the receiver answered
	verified  error // webhook.Verify's verdict on the signature
}

// hookReceiver is a backend receiving webhooks: it records every request and answers 503
// while down is set.
type hookReceiver struct {
	srv  *httptest.Server
	down atomic.Bool
	mu   sync.Mutex
	got  []hookCall
}

func newHookReceiver(t *testing.T) *hookReceiver {
	t.Helper()
	h := &hookReceiver{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		c := hookCall{event: r.Header.Get(webhook.HeaderEvent), id: r.Header.Get(webhook.HeaderDelivery), body: body,
			status: http.StatusOK, verified: webhook.Verify(hookSecret, r.Header, body, time.Now(), 0)}
		if h.down.Load() {
			c.status = http.StatusServiceUnavailable
		}
		h.mu.Lock()
		h.got = append(h.got, c)
		h.mu.Unlock()
		w.WriteHeader(c.status)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookReceiver) configure(c *controller.Config) {
	c.Webhook = webhook.Config{URL: h.srv.URL + "/hooks", Secret: hookSecret,
		MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second, Timeout: 5 * time.Second}
}

// calls returns the requests received so far; accepted only those answered 200.
func (h *hookReceiver) calls(acceptedOnly bool) []hookCall {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []hookCall
	for _, c := range h.got {
		if !acceptedOnly || c.status == http.StatusOK {
			out = append(out, c)
		}
	}
	return out
}

// availablePayload is Dolby's Recordings.Available body.
type availablePayload struct {
	Conference struct {
		ConfID string `json:"confId"`
	} `json:"conference"`
	EventType  string         `json:"eventType"`
	Recordings []mixRecording `json:"recordings"`
}

// statePayload is a Session.State body.
type statePayload struct {
	StreamID string `json:"streamId"`
	State    string `json:"state"`
	Reason   string `json:"reason"`
	At       int64  `json:"at"`
}

// announced returns the Recordings.Available deliveries accepted so far, by file name.
func (h *hookReceiver) announced(t *testing.T) map[string][]availablePayload {
	t.Helper()
	out := map[string][]availablePayload{}
	for _, c := range h.calls(true) {
		if c.event != controller.EventRecordingsAvailable {
			continue
		}
		var p availablePayload
		if err := json.Unmarshal(c.body, &p); err != nil {
			t.Fatalf("Recordings.Available body: %v: %s", err, c.body)
		}
		for _, r := range p.Recordings {
			out[r.Filename] = append(out[r.Filename], p)
		}
	}
	return out
}

// states returns the states of streamID that Session.State deliveries accepted so far told.
func (h *hookReceiver) states(t *testing.T, streamID string) []string {
	t.Helper()
	var out []string
	for _, c := range h.calls(true) {
		if c.event != controller.EventSessionState {
			continue
		}
		var p statePayload
		if err := json.Unmarshal(c.body, &p); err != nil {
			t.Fatalf("Session.State body: %v: %s", err, c.body)
		}
		if p.StreamID == streamID {
			out = append(out, p.State)
		}
	}
	return out
}

// checkDeliveries asserts what a receiver relies on: every request is signed with the secret,
// every event it was offered was accepted in the end, once.
func (h *hookReceiver) checkDeliveries(t *testing.T) {
	t.Helper()
	accepted := map[string]int{}
	for _, c := range h.calls(false) {
		if c.verified != nil {
			t.Errorf("delivery %s (%s): signature: %v", c.id, c.event, c.verified)
		}
		if c.id == "" || c.event == "" {
			t.Errorf("a delivery without its id or event type: %q %q", c.id, c.event)
		}
		if c.status == http.StatusOK {
			accepted[c.id]++
		}
	}
	for _, c := range h.calls(false) {
		if n := accepted[c.id]; n != 1 {
			t.Errorf("event %s (%s) was accepted %d times, want once: %s", c.id, c.event, n, c.body)
			accepted[c.id] = 1 // reported once
		}
	}
}

// waitFor polls cond until it holds, or fails the test after within.
func waitFor(t *testing.T, what string, within time.Duration, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > within {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return time.Since(start)
}

// storedVoD is a VoD with where it is kept, which the harness's vod leaves out.
type storedVoD struct {
	vod
	Storage string `json:"storage"`
}

func storedVoDs(s *service, streamID string) []storedVoD {
	s.t.Helper()
	return vodsOf[storedVoD](s, streamID)
}

// allStored tells whether streamID has n VoDs, all with storage.
func allStored(s *service, streamID, storage string, n int) bool {
	vods := storedVoDs(s, streamID)
	return len(vods) == n && !slices.ContainsFunc(vods, func(v storedVoD) bool { return v.Storage != storage })
}

// noRedirects is a client that shows redirects instead of following them.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// checkInS3 asserts that a VoD has moved to S3: its local file is gone, the object holds the
// bytes the file had, and /streams/<file> redirects to a pre-signed URL that downloads them.
// It returns the downloaded copy's path.
func checkInS3(t *testing.T, s *service, f *flakyS3, v storedVoD, want []byte) string {
	t.Helper()
	if _, err := os.Stat(filepath.Join(s.data, v.FilePath)); !os.IsNotExist(err) {
		t.Errorf("%s: the local file stays after the upload (%v)", v.VodName, err)
	}
	obj, err := f.backend.HeadObject(s3Bucket, s3Prefix+v.VodName)
	if err != nil || obj.Size != int64(len(want)) {
		t.Errorf("%s: object in the bucket: %+v %v, want %d bytes", v.VodName, obj, err, len(want))
	}
	resp, err := noRedirects.Get(s.base + "/live/" + v.FilePath)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, f.srv.URL+"/"+s3Bucket+"/"+s3Prefix+v.VodName+"?") ||
		!strings.Contains(loc, "X-Amz-Signature=") {
		t.Fatalf("%s: HTTP %d to %q, want a 302 to a pre-signed URL of the object", v.FilePath, resp.StatusCode, loc)
	}
	code, body := f.get(t, loc)
	if code != http.StatusOK || !bytes.Equal(body, want) {
		t.Fatalf("%s from S3: HTTP %d, %d bytes, want the file's %d", v.VodName, code, len(body), len(want))
	}
	path := filepath.Join(t.TempDir(), v.VodName)
	if err := os.WriteFile(path, body, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestS3UploadFailureAndRecovery keeps recordings in an S3 store and announces them to a
// webhook receiver while both fail: nothing is lost or announced early, and everything gets
// through, once, when they come back, including after a restart.
func TestS3UploadFailureAndRecovery(t *testing.T) {
	t.Run("outage", func(t *testing.T) {
		f, h := newFlakyS3(t), newHookReceiver(t)
		s := startService(t, f.configure, h.configure)
		f.down.Store(true)
		h.down.Store(true)
		const id = "s3-outage"
		if r := s.start(id, map[string]any{"url": s.page("test-pattern.html?freq=440"), "width": 640, "height": 360, "recordType": "mp4,mp3"}); !r.Success {
			t.Fatalf("start: %s", r.msg())
		}
		time.Sleep(shortSession)
		if r := s.stop(id); !r.Success {
			t.Fatalf("stop: %s", r.msg())
		}
		stoppedAt := time.Now()

		// Listed at once, kept here while the uploads fail.
		vods := storedVoDs(s, id)
		if len(vods) != 2 {
			t.Fatalf("VoDs: %+v, want an mp4 and an mp3", vods)
		}
		waitFor(t, "upload attempts", 15*time.Second, func() bool { return f.refused.Load() >= 3 })
		time.Sleep(1500 * time.Millisecond) // a few webhook retries: an early announcement would show
		files := map[string][]byte{}
		for _, v := range storedVoDs(s, id) {
			if v.Storage != "local" {
				t.Errorf("%s is kept in %q while S3 is down", v.VodName, v.Storage)
			}
			data, err := os.ReadFile(filepath.Join(s.data, v.FilePath))
			if err != nil || int64(len(data)) != v.FileSize || v.FileSize == 0 {
				t.Fatalf("%s while S3 is down: %d bytes, listed %d (%v)", v.VodName, len(data), v.FileSize, err)
			}
			files[v.VodName] = data
			// Served from here meanwhile.
			if resp, body := s.do(http.MethodGet, "/live/"+v.FilePath, nil); resp.StatusCode != http.StatusOK || !bytes.Equal(body, data) {
				t.Errorf("%s while S3 is down: HTTP %d", v.FilePath, resp.StatusCode)
			}
		}
		for _, c := range h.calls(false) {
			if c.event == controller.EventRecordingsAvailable {
				t.Errorf("Recordings.Available offered before the upload: %s", c.body)
			}
		}
		if len(h.calls(false)) == 0 || len(h.calls(true)) != 0 {
			t.Errorf("while the receiver is down: %d offers, %d accepted; want some, none", len(h.calls(false)), len(h.calls(true)))
		}
		t.Logf("S3 down: %d requests refused; receiver down: %d offers refused", f.refused.Load(), len(h.calls(false)))

		// S3 is back: the uploads finish, the files move there.
		f.down.Store(false)
		took := waitFor(t, "uploads after S3 came back", time.Minute, func() bool { return allStored(s, id, "s3", 2) })
		t.Logf("uploaded %s after S3 came back (%s after stop)", took.Round(time.Millisecond), time.Since(stoppedAt).Round(time.Millisecond))
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for _, v := range storedVoDs(s, id) {
			local := checkInS3(t, s, f, v, files[v.VodName])
			switch v.Format {
			case "mp4":
				checkRecording(t, local, "h264", "aac", 640, 360, time.Duration(v.Duration)*time.Millisecond, 0)
			case "mp3":
				info, err := mediacheck.Probe(ctx, local)
				if err != nil || info.Video != nil || info.Audio == nil || info.Audio.Codec != "mp3" || info.Duration < shortSession-500*time.Millisecond {
					t.Errorf("mp3 from S3: %+v %v", info, err)
				}
			default:
				t.Errorf("unexpected VoD %+v", v)
			}
		}

		// The receiver is back: every event arrives, once, signed.
		h.down.Store(false)
		took = waitFor(t, "webhooks after the receiver came back", 30*time.Second, func() bool {
			return len(h.announced(t)) == 2 && len(h.states(t, id)) >= 4
		})
		t.Logf("webhooks delivered %s after the receiver came back", took.Round(time.Millisecond))
		time.Sleep(1500 * time.Millisecond) // time for a duplicate to show
		h.checkDeliveries(t)
		if got := h.states(t, id); !slices.Equal(sorted(got), sorted([]string{"STARTING", "ACTIVE", "ENDING", "COMPLETE"})) {
			t.Errorf("Session.State events: %v, want STARTING, ACTIVE, ENDING and COMPLETE once each", got)
		}
		checkAnnouncements(t, h, f, id, files)
	})

	t.Run("restart", func(t *testing.T) {
		f, h := newFlakyS3(t), newHookReceiver(t)
		data := t.TempDir()
		s, stop := startServiceOn(t, data, f.configure, h.configure)
		f.down.Store(true)
		const id = "s3-restart"
		if r := s.start(id, map[string]any{"url": s.page("test-pattern.html?freq=440"), "width": 640, "height": 360, "recordType": "mp4"}); !r.Success {
			t.Fatalf("start: %s", r.msg())
		}
		time.Sleep(shortSession)
		if r := s.stop(id); !r.Success {
			t.Fatalf("stop: %s", r.msg())
		}
		waitFor(t, "an upload attempt", 15*time.Second, func() bool { return f.refused.Load() >= 1 })
		vods := storedVoDs(s, id)
		if len(vods) != 1 || vods[0].Storage != "local" {
			t.Fatalf("VoDs while S3 is down: %+v", vods)
		}
		file := filepath.Join(data, vods[0].FilePath)
		stop()

		// The pending upload is in the data directory, with the file.
		want, err := os.ReadFile(file)
		if err != nil || int64(len(want)) != vods[0].FileSize {
			t.Fatalf("after the service stopped with the upload pending: %d bytes, listed %d (%v)", len(want), vods[0].FileSize, err)
		}
		if a := h.announced(t); len(a) != 0 {
			t.Errorf("announced before the upload: %v", a)
		}

		f.down.Store(false)
		s, _ = startServiceOn(t, data, f.configure, h.configure)
		took := waitFor(t, "the upload after the restart", 30*time.Second, func() bool { return allStored(s, id, "s3", 1) })
		t.Logf("uploaded %s after the restart", took.Round(time.Millisecond))
		v := storedVoDs(s, id)[0]
		checkRecording(t, checkInS3(t, s, f, v, want), "h264", "aac", 640, 360, 0, 0)

		waitFor(t, "Recordings.Available after the restart", 30*time.Second, func() bool { return len(h.announced(t)) == 1 })
		time.Sleep(500 * time.Millisecond) // time for a duplicate to show
		h.checkDeliveries(t)
		checkAnnouncements(t, h, f, id, map[string][]byte{v.VodName: want})
	})
}

// checkAnnouncements asserts that each file of streamID was announced once, in Dolby's shape,
// with a URL that downloads it from S3.
func checkAnnouncements(t *testing.T, h *hookReceiver, f *flakyS3, streamID string, files map[string][]byte) {
	t.Helper()
	announced := h.announced(t)
	if len(announced) != len(files) {
		t.Errorf("Recordings.Available for %d files, want %d: %v", len(announced), len(files), announced)
	}
	for name, data := range files {
		ps := announced[name]
		if len(ps) != 1 {
			t.Errorf("%s announced %d times, want once", name, len(ps))
			continue
		}
		p := ps[0]
		r := p.Recordings[0]
		wantType := map[string]string{".mp4": "video/mp4", ".mp3": "audio/mpeg"}[filepath.Ext(name)]
		if p.EventType != controller.EventRecordingsAvailable || p.Conference.ConfID != streamID || len(p.Recordings) != 1 ||
			r.MediaType != wantType || r.Size != int64(len(data)) {
			t.Errorf("Recordings.Available for %s: %+v", name, p)
		}
		u, err := url.Parse(r.URL)
		if err != nil || !strings.HasPrefix(r.URL, f.srv.URL+"/") || u.Query().Get("X-Amz-Signature") == "" {
			t.Errorf("%s announced with URL %q, want one pre-signed by S3", name, r.URL)
			continue
		}
		if code, body := f.get(t, r.URL); code != http.StatusOK || !bytes.Equal(body, data) {
			t.Errorf("%s: the announced URL gives HTTP %d, %d bytes, want the file's %d", name, code, len(body), len(data))
		}
	}
}

func sorted(s []string) []string { return slices.Sorted(slices.Values(s)) }

// TestRetention deletes a mix recording once the injected clock passes its retention age, and
// not a moment before.
func TestRetention(t *testing.T) {
	const retention = 24 * time.Hour
	var offset atomic.Int64 // how far the service's clock is ahead of the real one
	s := startService(t, func(c *controller.Config) {
		c.MixRetention = retention
		c.Now = func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	})
	const conf = "kept-conf"
	code, e := s.dolby(http.MethodPost, "/v2/conferences/mix/"+conf+"/recording/start",
		map[string]any{"layoutUrl": s.page("test-pattern.html"), "width": 640, "height": 480}, nil)
	if code != http.StatusOK {
		t.Fatalf("start: HTTP %d %s", code, e.Description)
	}
	time.Sleep(shortSession)
	if code, e := s.dolby(http.MethodPost, "/v2/conferences/mix/"+conf+"/recording/stop", nil, nil); code != http.StatusOK {
		t.Fatalf("stop: HTTP %d %s", code, e.Description)
	}
	v := s.vodOf(conf + "_mix_default")
	if v.Kind != "mix" {
		t.Fatalf("VoD %+v, want a mix", v)
	}
	file := filepath.Join(s.data, v.FilePath)
	ctx := context.Background()

	for _, ahead := range []time.Duration{0, retention - time.Minute} {
		offset.Store(int64(ahead))
		if n := s.ctl.SweepRetention(ctx); n != 0 {
			t.Fatalf("sweep %s ahead: %d deleted, want none yet", ahead, n)
		}
	}
	if _, err := os.Stat(file); err != nil {
		t.Fatalf("the recording before its retention ends: %v", err)
	}

	offset.Store(int64(retention + time.Minute))
	if n := s.ctl.SweepRetention(ctx); n != 1 {
		t.Fatalf("sweep past the retention: %d deleted, want 1", n)
	}
	for _, o := range s.vods() {
		if o.VodID == v.VodID {
			t.Errorf("the recording is still listed: %+v", o)
		}
	}
	if left := s.monitor("/v2/monitor/conferences/" + conf + "/recordings"); len(left) != 0 {
		t.Errorf("Monitor after retention: %+v", left)
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("the file stays after retention: %v", err)
	}
	if n := s.ctl.SweepRetention(ctx); n != 0 {
		t.Errorf("a second sweep deleted %d", n)
	}
}

// TestHLSOnS3 keeps an HLS recording in S3: its playlist is still served by the node, so its
// relative segment names resolve here, and each segment redirects to a pre-signed S3 URL. A
// player (ffprobe, reading over HTTP) plays it through.
func TestHLSOnS3(t *testing.T) {
	f := newFlakyS3(t)
	s := startService(t, f.configure)
	r := s.start("hls-s3", map[string]any{"url": s.page("test-pattern.html"), "width": 640, "height": 360, "recordType": "hls"})
	started := time.Now()
	if !r.Success {
		t.Fatalf("start: %s", r.msg())
	}
	time.Sleep(shortSession)
	pushed := time.Since(started)
	if r := s.stop("hls-s3"); !r.Success {
		t.Fatalf("stop: %s", r.msg())
	}
	waitFor(t, "the HLS recording in S3", 30*time.Second, func() bool { return allStored(s, "hls-s3", "s3", 1) })
	v := storedVoDs(s, "hls-s3")[0]
	if left, _ := filepath.Glob(filepath.Join(s.data, "streams", "hls-s3-*")); len(left) > 0 {
		t.Errorf("files left here after the upload: %v", left)
	}
	resp, body := s.do(http.MethodGet, "/live/"+v.FilePath, nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "#EXT-X-ENDLIST") {
		t.Fatalf("the playlist from S3: HTTP %d %s", resp.StatusCode, body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	info, err := mediacheck.Probe(ctx, s.base+"/live/"+v.FilePath)
	if err != nil || info.Video == nil || info.Video.Width != 640 || info.Audio == nil {
		t.Fatalf("the HLS recording played from S3: %+v %v", info, err)
	}
	if d := info.Duration - pushed; d < -time.Second || d > time.Second {
		t.Errorf("it lasts %s, %s was recorded", info.Duration, pushed)
	}
	t.Logf("HLS from S3: %s for %s recorded", info.Duration, pushed.Round(time.Millisecond))
}
