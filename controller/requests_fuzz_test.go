package controller

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"mediapush/recorder"
	"mediapush/worker"
)

// The request bodies of the control API, decoded and validated as the handlers do. Whatever a
// caller sends, a body is either refused with an error or becomes a job that keeps every promise
// of the validation.

var wantStreamID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

// checkJob fails t unless job is one the validation may let through, of size within the limits.
func checkJob(t *testing.T, job worker.Job, minW, maxW, minH, maxH int) {
	t.Helper()
	if !wantStreamID.MatchString(job.StreamID) {
		t.Fatalf("accepted stream id %q", job.StreamID)
	}
	if job.Width < minW || job.Width > maxW || job.Height < minH || job.Height > maxH || job.Width%2 != 0 || job.Height%2 != 0 {
		t.Fatalf("accepted size %dx%d", job.Width, job.Height)
	}
	u, err := url.Parse(job.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		t.Fatalf("accepted page URL %q (%v)", job.URL, err)
	}
	seen := map[recorder.Format]bool{}
	for _, f := range job.Record {
		if parsed, err := recorder.ParseFormat(string(f)); err != nil || parsed != f || seen[f] {
			t.Fatalf("accepted record formats %q", job.Record)
		}
		seen[f] = true
	}
	if seen[recorder.WebM] && (seen[recorder.MP4] || seen[recorder.HLS]) {
		t.Fatalf("accepted webm with H264 formats: %q", job.Record)
	}
}

func FuzzStartRequest(f *testing.F) {
	f.Add("abc", `{"url":"https://example.com/page","width":1280,"height":720,"recordType":"mp4,mp3"}`)
	f.Add("abc", `{"url":"http://127.0.0.1:5080/x?y=1","width":0,"height":0}`)
	f.Add("s_1-2", `{"url":"https://example.com","width":3840,"height":2160,"recordType":"webm","extraChromeSwitches":"--mute-audio"}`)
	f.Add("abc", `{"url":"https://example.com","width":1281,"height":720}`)
	f.Add("abc", `{"url":"https://example.com","width":-2,"height":720}`)
	f.Add("abc", `{"url":"file:///etc/passwd"}`)
	f.Add("abc", `{"url":"https:///nohost"}`)
	f.Add("abc", `{"url":"javascript:alert(1)"}`)
	f.Add("abc", `{"url":"https://example.com","recordType":"webm,mp4"}`)
	f.Add("abc", `{"url":"https://example.com","recordType":" MP4 , ,hls,mp4"}`)
	f.Add("abc", `{"url":"https://example.com","unknown":1}`)
	f.Add("abc", `{"url":"https://example.com","width":1e100}`)
	f.Add("a/b", `{"url":"https://example.com"}`)
	f.Add("", `{"url":"https://example.com"}`)
	f.Add("x_composite", `{"url":"https://example.com"}`)
	f.Add("abc", `{"url":"https://example.com"} trailing`)
	f.Add("abc", ``)
	f.Add("abc", `null`)
	f.Fuzz(func(t *testing.T, streamID, body string) {
		var req StartRequest
		if err := decodeBody([]byte(body), &req); err != nil {
			return
		}
		job, err := NewJob(streamID, req)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("refused with an empty message")
			}
			if job.StreamID != "" || job.URL != "" || job.Record != nil {
				t.Fatalf("refused (%v) but returned a job: %+v", err, job)
			}
			return
		}
		checkJob(t, job, MinWidth, MaxWidth, MinHeight, MaxHeight)
		if job.StreamID != streamID || job.URL != req.URL || job.Token != req.Token {
			t.Fatalf("job %+v does not carry the request %+v under id %q", job, req, streamID)
		}
		if req.Width == 0 && req.Height == 0 && (job.Width != DefaultWidth || job.Height != DefaultHeight) {
			t.Fatalf("0x0 became %dx%d, want the default", job.Width, job.Height)
		}
	})
}

func FuzzMixRequest(f *testing.F) {
	f.Add("conf1", `{"layoutUrl":"https://layout.example.com/?c=1","width":1920,"height":1080,"mixId":"m1"}`)
	f.Add("conf1", `{"layoutUrl":"https://layout.example.com/"}`)
	f.Add("conf1", `{"layoutUrl":"https://layout.example.com/","uri":"rtmp://live.example.com/app/key"}`)
	f.Add("conf1", `{"layoutUrl":"https://layout.example.com/","width":521,"height":390}`)
	f.Add("conf1", `{"layoutUrl":"https://layout.example.com/","width":1922,"height":1080}`)
	f.Add("conf1", `{"layoutUrl":"","mixId":"m"}`)
	f.Add("conf1", `{"layoutUrl":"https://layout.example.com/","mixId":"../x"}`)
	f.Add("c/1", `{"layoutUrl":"https://layout.example.com/"}`)
	f.Add("conf1", `{"layoutUrl":"chrome://settings"}`)
	f.Add("conf1", `{"layoutUrl":"https://layout.example.com/","extra":true}`)
	f.Fuzz(func(t *testing.T, conference, body string) {
		var req MixRequest
		if err := decodeBody([]byte(body), &req); err != nil {
			return
		}
		if err := checkMix(conference, &req); err != nil {
			return
		}
		if !wantStreamID.MatchString(conference) || !wantStreamID.MatchString(req.MixID) {
			t.Fatalf("accepted conference %q, mix %q", conference, req.MixID)
		}
		if req.Width < minMixWidth || req.Width > maxMixSide || req.Height < minMixHeight || req.Height > maxMixSide {
			t.Fatalf("accepted mix size %dx%d", req.Width, req.Height)
		}
		// The mix then starts as a session, whose validation has the last word.
		job, err := NewJob(mixStreamID(conference, "mix", req.MixID),
			StartRequest{URL: req.LayoutURL, Width: req.Width, Height: req.Height, RecordType: "mp4"})
		if err != nil {
			return
		}
		checkJob(t, job, minMixWidth, maxMixSide, minMixHeight, maxMixSide)
		if !strings.Contains(job.StreamID, "_mix_") {
			t.Fatalf("mix session %q lacks the reserved _mix_ mark", job.StreamID)
		}
	})
}

func FuzzRoomRecordingRequest(f *testing.F) {
	f.Add("room1", `{}`)
	f.Add("room1", ``)
	f.Add("room1", `{"width":1920,"height":1080,"recordType":"mp4,mp3","layout":"speaker","individualAudio":false}`)
	f.Add("room1", `{"layout":"grid","awaitStartSignal":true}`)
	f.Add("room1", `{"layout":"mosaic"}`)
	f.Add("room1", `{"layout":"grid&token=x"}`)
	f.Add("room1", `{"recordType":"webm,hls"}`)
	f.Add("room/1", `{}`)
	f.Add(strings.Repeat("r", 128), `{}`)
	f.Add("room1", `{"layout":"grid","unknown":1}`)
	f.Fuzz(func(t *testing.T, room, body string) {
		var req RoomRecordingRequest
		if strings.TrimSpace(body) != "" { // the body is optional, as in startRoomRecording
			if err := decodeBody([]byte(body), &req); err != nil {
				return
			}
		}
		if err := checkRoomRecording(room, &req); err != nil {
			return
		}
		if !wantStreamID.MatchString(room) {
			t.Fatalf("accepted room id %q", room)
		}
		if req.Layout != "grid" && req.Layout != "speaker" {
			t.Fatalf("accepted layout %q", req.Layout)
		}
		if req.RecordType == "" {
			t.Fatal("no record type after the defaults")
		}
		job, err := NewJob(room+compositeSuffix, StartRequest{URL: "http://127.0.0.1:5080/app/multitrack-play.html?layout=" + req.Layout,
			Width: req.Width, Height: req.Height, RecordType: req.RecordType})
		if err != nil {
			return
		}
		checkJob(t, job, MinWidth, MaxWidth, MinHeight, MaxHeight)
	})
}

// A stream id that passes both checks names a caller's own session: one safe as a file name,
// that no session of mediapush's own can have.
func FuzzStreamID(f *testing.F) {
	for _, id := range []string{"abc", "A-b_9", "", "a b", "../etc", "x_composite", "conf_mix_default",
		"conf_rtmp_m", "_composite", "a_compositeb", strings.Repeat("a", 128), strings.Repeat("a", 129), "é", "a\x00"} {
		f.Add(id)
	}
	f.Fuzz(func(t *testing.T, id string) {
		if validStreamID(id) != nil {
			if wantStreamID.MatchString(id) {
				t.Fatalf("refused valid id %q", id)
			}
			return
		}
		if !wantStreamID.MatchString(id) || id == "." || id == ".." || strings.ContainsAny(id, "/\\.") {
			t.Fatalf("accepted id %q", id)
		}
		if checkNotReserved(id) != nil {
			return
		}
		if strings.HasSuffix(id, compositeSuffix) || strings.Contains(id, "_mix_") || strings.Contains(id, "_rtmp_") {
			t.Fatalf("id %q of mediapush's own sessions passed as a caller's", id)
		}
	})
}
