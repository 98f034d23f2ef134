package controller

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"mediapush/recorder"
	"mediapush/worker"
)

// loadSource is what the metrics read: the worker's load report.
type loadSource interface{ Load() worker.LoadReport }

// capacityCollector exports the node's budget, load and every running session's figures,
// read afresh at each scrape: a session's series go with it when it ends, so their number is
// bounded by the sessions running.
type capacityCollector struct {
	src loadSource

	sessions, budgetCores, budgetBytes, loadCores, loadBytes       *prometheus.Desc
	sessionInfo, sessionCores, sessionPSS, sessionFPS, sessionLost *prometheus.Desc
	sessionAVOffset, sessionDegraded, degradations, refused        *prometheus.Desc
	poolSize, kindCores, kindBytes                                 *prometheus.Desc
}

func newCapacityCollector(src loadSource) *capacityCollector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("mediapush_"+name, help, labels, nil)
	}
	return &capacityCollector{src: src,
		sessions:        d("sessions", "Sessions on this node by state.", "state"),
		budgetCores:     d("budget_cpu_cores", "CPU the sessions may use together (--cpu-budget); 0: not checked."),
		budgetBytes:     d("budget_memory_bytes", "Memory (PSS) the sessions may use together (--memory-budget); 0: not checked."),
		loadCores:       d("load_cpu_cores", "CPU admission counts as used: measured, or the estimate of sessions still ramping up."),
		loadBytes:       d("load_memory_bytes", "Memory admission counts as used: measured, or the estimate of sessions still ramping up."),
		sessionInfo:     d("session_info", "A running session, with its state and kind (size/page or room/outputs).", "stream_id", "state", "kind"),
		sessionCores:    d("session_cpu_cores", "A session's measured CPU: its browser processes' share and its share of mediapush's own.", "stream_id"),
		sessionPSS:      d("session_pss_bytes", "A session's measured memory (proportional set size), counted as its CPU is.", "stream_id"),
		sessionFPS:      d("session_fps", "Video frames a second a session delivers, over the last measurement.", "stream_id"),
		sessionLost:     d("session_lost_packets_total", "RTP packets lost between a session's browser and mediapush.", "stream_id"),
		sessionAVOffset: d("session_av_offset_seconds", "How much later a session's video arrives than its audio, each against the sender's clock (positive: video late).", "stream_id"),
		sessionDegraded: d("session_degraded", "1 while a session is reported below its frame rate or A/V targets.", "stream_id"),
		degradations:    d("session_degradations_total", "Times a session was reported below its frame rate or A/V targets."),
		refused:         d("starts_refused_total", "Starts refused for want of capacity, by what was short.", "cause"),
		poolSize:        d("browser_pool_size", "Browsers kept for sessions."),
		kindCores:       d("kind_cpu_cores", "The learnt CPU cost of a kind of session.", "kind"),
		kindBytes:       d("kind_pss_bytes", "The learnt memory cost of a kind of session.", "kind"),
	}
}

func (c *capacityCollector) Describe(ch chan<- *prometheus.Desc) { prometheus.DescribeByCollect(c, ch) }

func (c *capacityCollector) Collect(ch chan<- prometheus.Metric) {
	r := c.src.Load()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	states := map[worker.State]int{worker.Starting: 0, worker.Active: 0, worker.Ending: 0}
	for _, s := range r.Sessions {
		states[s.State]++
	}
	for st, n := range states {
		gauge(c.sessions, float64(n), string(st))
	}
	gauge(c.budgetCores, max(r.Budget.Cores, 0))
	gauge(c.budgetBytes, float64(max(r.Budget.Bytes, 0)))
	gauge(c.loadCores, r.Load.Cores)
	gauge(c.loadBytes, float64(r.Load.Bytes))
	for _, s := range r.Sessions {
		gauge(c.sessionInfo, 1, s.StreamID, string(s.State), s.Kind)
		if s.Measured {
			gauge(c.sessionCores, s.Cost.Cores, s.StreamID)
			gauge(c.sessionPSS, float64(s.Cost.Bytes), s.StreamID)
		}
		if s.FPSKnown {
			gauge(c.sessionFPS, s.FPS, s.StreamID)
		}
		counter(c.sessionLost, float64(s.LostPackets), s.StreamID)
		if s.AVOffsetKnown {
			gauge(c.sessionAVOffset, s.AVOffset.Seconds(), s.StreamID)
		}
		degraded := 0.0
		if s.Degraded {
			degraded = 1
		}
		gauge(c.sessionDegraded, degraded, s.StreamID)
	}
	counter(c.degradations, float64(r.DegradedReports))
	for cause, n := range r.Refused {
		counter(c.refused, float64(n), cause)
	}
	if r.PoolBrowsers >= 0 {
		gauge(c.poolSize, float64(r.PoolBrowsers))
	}
	for kind, cost := range r.Learnt {
		gauge(c.kindCores, cost.Cores, kind)
		gauge(c.kindBytes, float64(cost.Bytes), kind)
	}
}

// newMetricsRegistry holds the node's metrics: capacity, and the Go runtime's and the
// process's own.
func newMetricsRegistry(src loadSource) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(newCapacityCollector(src), collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// MetricsHandler serves the metrics in Prometheus's text format. It checks no credential:
// the API serves it behind the control routes' access (see routes), serve's --metrics-addr
// on a listener of the operator's choosing.
func (c *Controller) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(c.metrics, promhttp.HandlerOpts{})
}

// readinessJob is what readiness asks about: can the node take a 1280x720 recording now?
var readinessJob = worker.Job{StreamID: "readiness", Width: 1280, Height: 720, Record: []recorder.Format{recorder.MP4}}

// ready answers 200 when a 1280x720 session would be admitted now, else 503 with the reason
// a start would get (and Retry-After). It reveals no stream id, so probes need no credential.
func (c *Controller) ready(ctx echo.Context) error {
	var err error
	if c.dispatcher != nil {
		err = c.dispatcher.Ready(readinessJob)
	} else {
		err = c.host.worker.Ready(readinessJob)
	}
	if err == nil {
		return ctx.String(http.StatusOK, "ready\n")
	}
	var le *worker.LimitError
	if errors.As(err, &le) && le.RetryAfter > 0 {
		ctx.Response().Header().Set("Retry-After", strconv.Itoa(int(le.RetryAfter/time.Second)))
	}
	return ctx.String(http.StatusServiceUnavailable, err.Error()+"\n")
}
