package e2e

import (
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"mediapush/controller"
	"mediapush/internal/procstat"
	"mediapush/internal/rtmptest"
)

// benchWindow is how long a benchmark measures a running session, after benchRamp.
const (
	benchWindow = 20 * time.Second
	benchRamp   = 3 * time.Second // past the encoder's ramp-up
)

// measureSession reports the CPU of this process and the session's Chromium (in cores: 1 = one
// core busy), their memory (PSS), and the frame rate and bitrate received, over benchWindow.
// extra processes (the outputs' ffmpeg) count in "cores" too.
func measureSession(b *testing.B, s *service, id string, extra ...int) {
	time.Sleep(benchRamp)
	self := os.Getpid()
	chromium := procstat.Matching(s.data + "/tmp/")
	f0, _ := s.ctl.Progress(id)
	all := append(append(chromium, self), extra...)
	a := procstat.Take(all...)
	ca := procstat.Take(chromium...)
	time.Sleep(benchWindow)
	z := procstat.Take(all...)
	cz := procstat.Take(chromium...)
	f1, _ := s.ctl.Progress(id)
	b.ReportMetric(procstat.Cores(a, z), "cores")
	b.ReportMetric(procstat.Cores(ca, cz), "chromium-cores")
	b.ReportMetric(float64(z.PSSKiB)/1024, "MB-pss")
	b.ReportMetric(float64(f1.VideoFrames-f0.VideoFrames)/benchWindow.Seconds(), "fps")
	b.ReportMetric(float64(f1.Received-f0.Received)*8/benchWindow.Seconds()/1e6, "Mbit/s")
}

// BenchmarkSession measures one 1280x720 session on the animated test page, and the time from
// the start call to its answer (first video frame in).
//
//	go test -run '^$' -bench Session -benchtime 1x ./e2e/
func BenchmarkSession(b *testing.B) {
	for i := 0; i < b.N; i++ {
		s := startService(b)
		id := fmt.Sprintf("bench-%d", i)
		began := time.Now()
		r := s.start(id, map[string]any{"url": s.page("test-pattern.html"), "width": 1280, "height": 720, "recordType": "mp4"})
		b.ReportMetric(float64(time.Since(began).Milliseconds()), "ms-to-first-frame")
		if !r.Success {
			b.Fatalf("start: %s", r.msg())
		}
		measureSession(b, s, id)
		if r := s.stop(id); !r.Success {
			b.Fatalf("stop: %s", r.msg())
		}
	}
}

// BenchmarkRoomComposite measures a 1280x720 room recording of four synthetic participants
// (320x180 H264 at 15 fps and a tone each) through multitrack-play. "cores" includes this
// process: the participants' publishers as well as mediapush's relay and recorder.
//
//	go test -run '^$' -bench RoomComposite -benchtime 1x ./e2e/
func BenchmarkRoomComposite(b *testing.B) {
	for i := 0; i < b.N; i++ {
		s := startService(b)
		room := fmt.Sprintf("bench%d", i)
		for j, c := range []string{"red", "lime", "magenta", "yellow"} {
			s.join(b, room, member{fmt.Sprintf("p%d", j), c, c, float64(400 + 300*j)}, nil)
		}
		began := time.Now()
		r := s.call(http.MethodPost, "/live/rest/v1/media-push/rooms/"+room+"/recording/start", nil)
		b.ReportMetric(float64(time.Since(began).Milliseconds()), "ms-to-first-frame")
		if !r.Success {
			b.Fatalf("start: %s", r.msg())
		}
		measureSession(b, s, room+"_composite")
		if r := s.call(http.MethodPost, "/live/rest/v1/media-push/rooms/"+room+"/recording/stop", nil); !r.Success {
			b.Fatalf("stop: %s", r.msg())
		}
	}
}

// BenchmarkSessionOutputs measures one 1280x720 session that records MP4, HLS and MP3 and
// pushes to an RTMP server (nginx on loopback) at once; "ffmpeg-cores" is the live outputs'
// ffmpeg processes (HLS and RTMP: audio to AAC, video copied), included in "cores".
//
//	go test -run '^$' -bench SessionOutputs -benchtime 1x ./e2e/
func BenchmarkSessionOutputs(b *testing.B) {
	for i := 0; i < b.N; i++ {
		s := startService(b)
		rtmp := rtmptest.Start(b)
		id := fmt.Sprintf("outputs-%d", i)
		r := s.start(id, map[string]any{"url": s.page("test-pattern.html"), "width": 1280, "height": 720, "recordType": "mp4,hls,mp3"})
		if !r.Success {
			b.Fatalf("start: %s", r.msg())
		}
		if r := s.call(http.MethodPost, "/live/rest/v2/broadcasts/"+id+"/rtmp-endpoint", map[string]string{"rtmpUrl": rtmp.URL("bench")}); !r.Success {
			b.Fatalf("rtmp endpoint: %s", r.msg())
		}
		time.Sleep(benchRamp)
		ffmpeg := procstat.Matching("pipe:0")
		fa := procstat.Take(ffmpeg...)
		measureSession(b, s, id, ffmpeg...)
		fz := procstat.Take(ffmpeg...)
		b.ReportMetric(procstat.Cores(fa, fz), "ffmpeg-cores")
		if r := s.stop(id); !r.Success {
			b.Fatalf("stop: %s", r.msg())
		}
	}
}

// BenchmarkConcurrentSessions runs N 1280x720 sessions of the animated test page at once, for
// N = 1 to 4, and reports the lowest and mean frame rate received among them over
// benchWindow, with the CPU and memory of all of them. The largest N whose "min-fps" stays at
// 29 or more is what the machine holds at full rate. One N alone:
//
//	go test -run '^$' -bench 'ConcurrentSessions/sessions=3' -benchtime 1x ./e2e/
func BenchmarkConcurrentSessions(b *testing.B) {
	for n := 1; n <= 4; n++ {
		b.Run(fmt.Sprintf("sessions=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				measureConcurrent(b, n)
			}
		})
	}
}

func measureConcurrent(b *testing.B, n int) {
	s := startService(b, func(c *controller.Config) { c.Limits.MaxSessions = n })
	ids := make([]string, n)
	for j := range ids {
		ids[j] = fmt.Sprintf("concurrent-%d", j)
		r := s.start(ids[j], map[string]any{"url": s.page("test-pattern.html"), "width": 1280, "height": 720, "recordType": "mp4"})
		if !r.Success {
			b.Fatalf("start %d of %d: %s", j+1, n, r.msg())
		}
	}
	time.Sleep(benchRamp)
	self := os.Getpid()
	all := append(procstat.Matching(s.data+"/tmp/"), self)
	f0 := make([]int64, n)
	for j, id := range ids {
		p, _ := s.ctl.Progress(id)
		f0[j] = int64(p.VideoFrames)
	}
	a := procstat.Take(all...)
	time.Sleep(benchWindow)
	z := procstat.Take(all...)
	minFPS, sum := 0.0, 0.0
	for j, id := range ids {
		p, _ := s.ctl.Progress(id)
		fps := float64(int64(p.VideoFrames)-f0[j]) / benchWindow.Seconds()
		if j == 0 || fps < minFPS {
			minFPS = fps
		}
		sum += fps
	}
	b.ReportMetric(minFPS, "min-fps")
	b.ReportMetric(sum/float64(n), "mean-fps")
	b.ReportMetric(procstat.Cores(a, z), "cores")
	b.ReportMetric(float64(z.PSSKiB)/1024, "MB-pss")
	for _, id := range ids {
		if r := s.stop(id); !r.Success {
			b.Fatalf("stop %s: %s", id, r.msg())
		}
	}
}
