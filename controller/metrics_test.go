package controller

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"mediapush/worker"
)

type fakeLoad struct{ r worker.LoadReport }

func (f *fakeLoad) Load() worker.LoadReport { return f.r }

// scrape serves the registry over HTTP and parses what a Prometheus server would read.
func scrape(t *testing.T, src loadSource) map[string]*dto.MetricFamily {
	t.Helper()
	srv := httptest.NewServer(promhttp.HandlerFor(newMetricsRegistry(src), promhttp.HandlerOpts{}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("the metrics do not parse: %v", err)
	}
	return fams
}

// value is the value of the family's series whose labels include want; ok false when none.
func value(fams map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
	for _, m := range f.GetMetric() {
		match := 0
		for _, l := range m.GetLabel() {
			if v, ok := want[l.GetName()]; ok && v == l.GetValue() {
				match++
			}
		}
		if match != len(want) {
			continue
		}
		switch {
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		}
	}
	return 0, false
}

func TestMetrics(t *testing.T) {
	src := &fakeLoad{r: worker.LoadReport{
		Budget: worker.Budget{Cores: 1.8, Bytes: 4 << 30},
		Load:   worker.Cost{Cores: 0.75, Bytes: 500 << 20},
		Sessions: []worker.SessionLoad{{StreamID: "rec1", State: worker.Active, Kind: "720p/page/mp4",
			SessionFigures: worker.SessionFigures{Cost: worker.Cost{Cores: 0.75, Bytes: 500 << 20}, Measured: true, Settled: true,
				FPS: 29.5, FPSKnown: true, LostPackets: 3, AVOffset: 12 * time.Millisecond, AVOffsetKnown: true}},
			{StreamID: "rec2", State: worker.Starting, Kind: "360p/page/push"}},
		Refused:         map[string]int64{worker.CauseSessions: 0, worker.CauseCPU: 2, worker.CauseMemory: 0, worker.CauseDisk: 1},
		DegradedReports: 1, PoolBrowsers: -1,
		Learnt: map[string]worker.Cost{"720p/page/mp4": {Cores: 0.72, Bytes: 480 << 20}},
	}}
	fams := scrape(t, src)
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"mediapush_sessions", map[string]string{"state": "ACTIVE"}, 1},
		{"mediapush_sessions", map[string]string{"state": "STARTING"}, 1},
		{"mediapush_sessions", map[string]string{"state": "ENDING"}, 0},
		{"mediapush_budget_cpu_cores", nil, 1.8},
		{"mediapush_budget_memory_bytes", nil, 4 << 30},
		{"mediapush_load_cpu_cores", nil, 0.75},
		{"mediapush_session_cpu_cores", map[string]string{"stream_id": "rec1"}, 0.75},
		{"mediapush_session_pss_bytes", map[string]string{"stream_id": "rec1"}, 500 << 20},
		{"mediapush_session_fps", map[string]string{"stream_id": "rec1"}, 29.5},
		{"mediapush_session_lost_packets_total", map[string]string{"stream_id": "rec1"}, 3},
		{"mediapush_session_av_offset_seconds", map[string]string{"stream_id": "rec1"}, 0.012},
		{"mediapush_session_degraded", map[string]string{"stream_id": "rec1"}, 0},
		{"mediapush_session_info", map[string]string{"stream_id": "rec2", "state": "STARTING", "kind": "360p/page/push"}, 1},
		{"mediapush_starts_refused_total", map[string]string{"cause": "cpu"}, 2},
		{"mediapush_starts_refused_total", map[string]string{"cause": "disk"}, 1},
		{"mediapush_starts_refused_total", map[string]string{"cause": "sessions"}, 0},
		{"mediapush_session_degradations_total", nil, 1},
		{"mediapush_kind_cpu_cores", map[string]string{"kind": "720p/page/mp4"}, 0.72},
	} {
		got, ok := value(fams, c.name, c.labels)
		if !ok || got != c.want {
			t.Errorf("%s%v = %v (present %v), want %v", c.name, c.labels, got, ok, c.want)
		}
	}
	// A session not measured yet has no cost series; the pool size is absent until set.
	if _, ok := value(fams, "mediapush_session_cpu_cores", map[string]string{"stream_id": "rec2"}); ok {
		t.Error("an unmeasured session has a CPU series")
	}
	if _, ok := fams["mediapush_browser_pool_size"]; ok {
		t.Error("a pool size before any pool")
	}
	if fams["process_cpu_seconds_total"] == nil || fams["go_goroutines"] == nil {
		t.Error("no process or Go runtime metrics")
	}

	// A session that ended takes its series with it.
	src.r.Sessions = src.r.Sessions[1:]
	src.r.PoolBrowsers = 2
	fams = scrape(t, src)
	if _, ok := value(fams, "mediapush_session_cpu_cores", map[string]string{"stream_id": "rec1"}); ok {
		t.Error("an ended session's series stays")
	}
	if v, ok := value(fams, "mediapush_browser_pool_size", nil); !ok || v != 2 {
		t.Errorf("pool size %v %v", v, ok)
	}
}
