package e2e

import (
	"fmt"
	"os"
	"testing"
	"time"

	"mediapush/internal/procstat"
)

// BenchmarkSession measures one 1280x720 session on the animated test page: the CPU of
// mediapush and its Chromium (in cores: 1 = one core busy), their memory (PSS), the time
// from the start call to its answer (first video frame in), and the frame rate delivered.
//
//	go test -run '^$' -bench Session -benchtime 1x ./e2e/
func BenchmarkSession(b *testing.B) {
	const window = 20 * time.Second
	for i := 0; i < b.N; i++ {
		s := startService(b)
		id := fmt.Sprintf("bench-%d", i)
		began := time.Now()
		r := s.start(id, map[string]any{"url": s.page("test-pattern.html"), "width": 1280, "height": 720, "recordType": "mp4"})
		startLatency := time.Since(began)
		if !r.Success {
			b.Fatalf("start: %s", r.msg())
		}
		time.Sleep(3 * time.Second) // past the encoder's ramp-up
		self := os.Getpid()
		chromium := procstat.Matching(s.data + "/tmp/")
		f0, _ := s.ctl.Progress(id)
		a := procstat.Take(append(chromium, self)...)
		ca := procstat.Take(chromium...)
		time.Sleep(window)
		z := procstat.Take(append(chromium, self)...)
		cz := procstat.Take(chromium...)
		f1, _ := s.ctl.Progress(id)
		fps := float64(f1.VideoFrames-f0.VideoFrames) / window.Seconds()
		if r := s.stop(id); !r.Success {
			b.Fatalf("stop: %s", r.msg())
		}
		b.ReportMetric(procstat.Cores(a, z), "cores")
		b.ReportMetric(procstat.Cores(ca, cz), "chromium-cores")
		b.ReportMetric(float64(z.PSSKiB)/1024, "MB-pss")
		b.ReportMetric(float64(startLatency.Milliseconds()), "ms-to-first-frame")
		b.ReportMetric(fps, "fps")
		b.ReportMetric(float64(f1.Received-f0.Received)*8/window.Seconds()/1e6, "Mbit/s")
	}
}
