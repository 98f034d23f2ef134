package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"mediapush/controller"
)

// TestCapacity: with a CPU budget for one and a half 1280x720 sessions (as expected before
// any is measured: 1 core each), a second one is
// refused at once, through every API, with a message naming what is short; the first records
// on untouched; the metrics show its measured cost and the refusals; readiness says the node
// is full, and ready again once the first ends.
func TestCapacity(t *testing.T) {
	s := startService(t, func(c *controller.Config) { c.Limits.CPUBudget, c.Limits.MemoryBudget = 1.5, 16<<30 })
	if code, body, _ := s.get("/readyz", ""); code != http.StatusOK {
		t.Fatalf("an idle node is not ready: HTTP %d %q", code, body)
	}
	body := map[string]any{"url": s.page("test-pattern.html"), "width": 1280, "height": 720, "recordType": "mp4"}
	if r := s.start("first", body); !r.Success {
		t.Fatalf("first start: %s", r.msg())
	}
	began := time.Now()

	asked := time.Now()
	r := s.start("second", body)
	t.Logf("the second start was answered in %s", time.Since(asked).Round(time.Millisecond))
	const short = "a 1280x720 session needs about 1; try again later or on another node"
	if r.Success || !strings.HasPrefix(r.msg(), "not enough CPU: ") || !strings.HasSuffix(r.msg(), short) {
		t.Errorf("second start: %+v %q; want success false, not enough CPU … %s", r, r.msg(), short)
	}
	t.Logf("refusal: %s", r.msg())
	resp, out := s.do(http.MethodPost, "/v2/conferences/mix/conf1/recording/start",
		map[string]any{"layoutUrl": s.page("test-pattern.html"), "width": 1280, "height": 720})
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "30" || !strings.Contains(string(out), "not enough CPU") {
		t.Errorf("Dolby mix start: HTTP %d, Retry-After %q, %s; want 503, 30, not enough CPU", resp.StatusCode, resp.Header.Get("Retry-After"), out)
	}
	for _, id := range []string{"second", "conf1_mix_default"} {
		if code := s.getJSON("/live/rest/v2/broadcasts/"+id, &broadcast{}); code != http.StatusNotFound {
			t.Errorf("refused %s left a broadcast: HTTP %d", id, code)
		}
	}
	code, ready, _ := s.get("/readyz", "")
	if code != http.StatusServiceUnavailable || !strings.HasPrefix(ready, "not enough CPU") {
		t.Errorf("readiness while full: HTTP %d %q", code, ready)
	}
	if code, _, _ := s.get("/healthz", ""); code != http.StatusOK {
		t.Errorf("health while full: HTTP %d", code)
	}

	// The first session's cost appears once it has been measured twice (every 2 s); it records
	// 12 s in all.
	var fams map[string]*dto.MetricFamily
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(time.Second) {
		fams = s.metrics()
		if _, ok := metricValue(fams, "mediapush_session_fps", "stream_id", "first"); ok {
			break
		}
	}
	time.Sleep(time.Until(began.Add(12 * time.Second)))
	fams = s.metrics()
	cores, _ := metricValue(fams, "mediapush_session_cpu_cores", "stream_id", "first")
	pss, _ := metricValue(fams, "mediapush_session_pss_bytes", "stream_id", "first")
	fps, _ := metricValue(fams, "mediapush_session_fps", "stream_id", "first")
	offset, known := metricValue(fams, "mediapush_session_av_offset_seconds", "stream_id", "first")
	t.Logf("first: %.2f cores, %.0f MiB, %.1f fps, A/V offset %.1f ms (known %v)", cores, pss/(1<<20), fps, offset*1000, known)
	if cores <= 0 || pss < 50<<20 {
		t.Errorf("the running session's measured cost: %.2f cores, %.0f bytes", cores, pss)
	}
	if v, _ := metricValue(fams, "mediapush_starts_refused_total", "cause", "cpu"); v != 2 {
		t.Errorf("starts refused for CPU: %v, want 2", v)
	}
	if v, _ := metricValue(fams, "mediapush_sessions", "state", "ACTIVE"); v != 1 {
		t.Errorf("ACTIVE sessions: %v", v)
	}
	if v, _ := metricValue(fams, "mediapush_budget_cpu_cores", "", ""); v != 1.5 {
		t.Errorf("CPU budget: %v", v)
	}

	if b := s.broadcast("first"); b.State != "ACTIVE" {
		t.Errorf("the running session after the refusals: %+v", b)
	}
	stopAt := time.Now()
	if r := s.stop("first"); !r.Success {
		t.Fatalf("stop: %s", r.msg())
	}
	checkRecording(t, s.download(s.vodOf("first")), "h264", "aac", 1280, 720, stopAt.Sub(began), 20)

	if _, ok := metricValue(s.metrics(), "mediapush_session_cpu_cores", "stream_id", "first"); ok {
		t.Error("the ended session's series stays")
	}
	// Ready again, unless the session measured more than the whole budget: then the node
	// has learnt that such a session never fits.
	learnt, _ := metricValue(s.metrics(), "mediapush_kind_cpu_cores", "kind", "720p/page/mp4")
	code, ready, _ = s.get("/readyz", "")
	t.Logf("learnt: 720p pages cost %.2f cores; readiness: HTTP %d %q", learnt, code, ready)
	if (code == http.StatusOK) != (learnt <= 1.5) ||
		(code != http.StatusOK && !strings.HasPrefix(ready, "not enough CPU: a 1280x720 session needs about ")) {
		t.Errorf("readiness once the first ended: HTTP %d %q, learnt cost %.2f", code, ready, learnt)
	}
}

// metrics scrapes /metrics as Prometheus would and parses it.
func (s *service) metrics() map[string]*dto.MetricFamily {
	s.t.Helper()
	resp, err := http.Get(s.base + "/metrics")
	if err != nil {
		s.t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("GET /metrics: HTTP %d", resp.StatusCode)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		s.t.Fatalf("the metrics do not parse: %v", err)
	}
	return fams
}

// metricValue is the value of the series of a family with label = value (any series when
// label is ""); ok false when there is none.
func metricValue(fams map[string]*dto.MetricFamily, name, label, value string) (float64, bool) {
	for _, m := range fams[name].GetMetric() {
		match := label == ""
		for _, l := range m.GetLabel() {
			if l.GetName() == label && l.GetValue() == value {
				match = true
			}
		}
		if !match {
			continue
		}
		if m.Gauge != nil {
			return m.GetGauge().GetValue(), true
		}
		return m.GetCounter().GetValue(), true
	}
	return 0, false
}
