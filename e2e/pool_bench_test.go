package e2e

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"mediapush/browser"
	"mediapush/internal/procstat"
)

// startSamples is how many starts each latency figure is taken over.
const startSamples = 12

// BenchmarkStartLatency measures the time from the start call to its answer (the first video
// frame in) of a 1280x720 session, p50 and p95: "warm" with a browser of the pool ready, "cold"
// with none (each start launches its own).
//
//	go test -run '^$' -bench StartLatency -benchtime 1x ./e2e/
func BenchmarkStartLatency(b *testing.B) {
	for _, c := range []struct {
		name string
		warm int
	}{{"warm", 1}, {"cold", 0}} {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				s := startService(b, withPool(browser.PoolSettings{Warm: c.warm}))
				var took []time.Duration
				for j := range startSamples {
					time.Sleep(3 * time.Second) // the pool launches its warm browser, the last one closes
					id := fmt.Sprintf("lat-%d-%d", i, j)
					began := time.Now()
					r := s.start(id, map[string]any{"url": s.page("test-pattern.html"), "width": 1280, "height": 720})
					took = append(took, time.Since(began))
					if !r.Success {
						b.Fatalf("start: %s", r.msg())
					}
					if r := s.stop(id); !r.Success {
						b.Fatalf("stop: %s", r.msg())
					}
				}
				slices.Sort(took)
				b.ReportMetric(float64(took[len(took)/2].Milliseconds()), "ms-p50")
				b.ReportMetric(float64(took[(len(took)*95+99)/100-1].Milliseconds()), "ms-p95")
				b.ReportMetric(float64(took[0].Milliseconds()), "ms-min")
			}
		})
	}
}

// BenchmarkSessionMemory measures the memory (PSS) of the node's browsers with one, two and
// three 1280x720 sessions as tabs of one browser, and with a fourth in a browser of its own:
// "MB-pss-extra-tab" is the mean cost of the second and third session, "MB-pss-own-browser"
// that of the fourth. The shared browser has room for a fourth tab throughout, so its tab made
// ahead is there in every figure.
//
//	go test -run '^$' -bench SessionMemory -benchtime 1x ./e2e/
func BenchmarkSessionMemory(b *testing.B) {
	for i := 0; i < b.N; i++ {
		s := startService(b, withPool(browser.PoolSettings{Warm: 0, TabsPerBrowser: 4}))
		pss := func() float64 {
			time.Sleep(benchRamp + 2*time.Second) // past the start's peak
			return float64(procstat.Take(procstat.Matching(s.data+"/tmp/")...).PSSKiB) / 1024
		}
		var total []float64
		for j := range 4 {
			id := fmt.Sprintf("mem-%d-%d", i, j)
			body := map[string]any{"url": s.page("test-pattern.html"), "width": 1280, "height": 720}
			if j == 3 {
				body["ownBrowser"] = true
			}
			if r := s.start(id, body); !r.Success {
				b.Fatalf("start: %s", r.msg())
			}
			total = append(total, pss())
		}
		b.ReportMetric(total[0], "MB-pss-one-session")
		b.ReportMetric((total[2]-total[0])/2, "MB-pss-extra-tab")
		b.ReportMetric(total[3]-total[2], "MB-pss-own-browser")
		for j := range 4 {
			if r := s.stop(fmt.Sprintf("mem-%d-%d", i, j)); !r.Success {
				b.Fatalf("stop: %s", r.msg())
			}
		}
	}
}
