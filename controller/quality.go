package controller

import (
	"context"
	"encoding/json"
	"path/filepath"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"mediapush/catalog"
	"mediapush/internal/quality"
	"mediapush/legs"
	"mediapush/recorder"
	"mediapush/worker"
)

// EventRecordingSuspect announces a recording whose quality report fails the limits
// (QualityConfig), with the same payload as Recordings.Available.
const EventRecordingSuspect = "Recording.Suspect"

// Defaults of QualityConfig.
const (
	// DefaultMaxBlack is the longest black stretch a recording may have: a page that loads
	// shows black for a moment, a broken one for good.
	DefaultMaxBlack = 10 * time.Second
	// DefaultMaxFrozen is the longest stretch without movement: a slide may stay a while.
	DefaultMaxFrozen = time.Minute
	// DefaultMaxSilence is the longest silent stretch of a mix; an individual participant's
	// audio is suspect only when silent throughout.
	DefaultMaxSilence = time.Minute
	// DefaultMinFPSRatio is the least share of the capture's frame rate the moving picture gets.
	DefaultMinFPSRatio = 0.8
	// DefaultMaxAVOffset bounds the session's mean A/V offset (or the file's start times').
	DefaultMaxAVOffset = 100 * time.Millisecond
	// DefaultMaxDurationShortfall bounds how much shorter a file is than the time it recorded.
	DefaultMaxDurationShortfall = 5 * time.Second
)

// QualityConfig says how finished recordings are measured and when one is suspect. Each
// limit's zero value is its default; a negative one turns that check off.
type QualityConfig struct {
	// Off lists and announces recordings without measuring them, as before measuring existed:
	// their VoDs have no quality.
	Off bool
	// MaxBlack, MaxFrozen and MaxSilence bound the longest black, frozen and silent stretch.
	MaxBlack, MaxFrozen, MaxSilence time.Duration
	// MinFPSRatio is the least share of the requested frame rate the moving picture must get.
	MinFPSRatio float64
	// MaxAVOffset bounds how far the picture is from the sound.
	MaxAVOffset time.Duration
	// MaxDurationShortfall bounds how much shorter the file is than the time it was recorded
	// for (gaps by design left out).
	MaxDurationShortfall time.Duration
}

func (q QualityConfig) limits() quality.Limits {
	d := func(v, def time.Duration) time.Duration {
		if v == 0 {
			return def
		}
		return v
	}
	ratio := q.MinFPSRatio
	if ratio == 0 {
		ratio = DefaultMinFPSRatio
	}
	return quality.Limits{MaxBlack: d(q.MaxBlack, DefaultMaxBlack), MaxFrozen: d(q.MaxFrozen, DefaultMaxFrozen),
		MaxSilence: d(q.MaxSilence, DefaultMaxSilence), MinFPSRatio: ratio, MaxAVOffset: d(q.MaxAVOffset, DefaultMaxAVOffset),
		MaxDurationShortfall: d(q.MaxDurationShortfall, DefaultMaxDurationShortfall)}
}

// measureJob is a listed recording waiting to be measured, then delivered (its files
// uploaded, in upload order, or it announced).
type measureJob struct {
	vodName string
	files   []string
}

// measurer measures finished recordings one at a time, in the background: a stop answers
// once its recording is listed (quality pending); the recording is delivered and announced
// once measured. The controller measures from its streams directory, where in cluster mode the
// worker nodes leave their files too.
type measurer struct {
	svc    *Service
	limits quality.Limits
	log    zerolog.Logger

	ctx    context.Context // cancelled when Close runs out of time: measuring gives up
	cancel context.CancelFunc

	mu     sync.Mutex
	queue  []measureJob
	closed bool
	wake   chan struct{} // a job was queued
	drain  chan struct{} // closed by close: end once the queue is empty
	done   chan struct{} // closed when the loop has ended
}

func newMeasurer(svc *Service, cfg QualityConfig, log zerolog.Logger) *measurer {
	ctx, cancel := context.WithCancel(context.Background())
	m := &measurer{svc: svc, limits: cfg.limits(), log: log, ctx: ctx, cancel: cancel,
		wake: make(chan struct{}, 1), drain: make(chan struct{}), done: make(chan struct{})}
	go m.loop()
	return m
}

// enqueue queues a listed recording. Once closing, nothing is measured any more: the
// recording is announced at once as unmeasured.
func (m *measurer) enqueue(j measureJob) {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		m.unmeasured(j, "the service was closing")
		return
	}
	m.queue = append(m.queue, j)
	m.mu.Unlock()
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

func (m *measurer) next() (measureJob, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.queue) == 0 {
		return measureJob{}, false
	}
	j := m.queue[0]
	m.queue = m.queue[1:]
	return j, true
}

func (m *measurer) loop() {
	defer close(m.done)
	for {
		if j, ok := m.next(); ok {
			m.measure(j)
			continue
		}
		select {
		case <-m.wake:
		case <-m.drain:
			if _, ok := m.peek(); !ok {
				return
			}
		}
	}
}

func (m *measurer) peek() (measureJob, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.queue) == 0 {
		return measureJob{}, false
	}
	return m.queue[0], true
}

// close measures what is queued while ctx lasts; what is left then is announced unmeasured.
func (m *measurer) close(ctx context.Context) {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	close(m.drain)
	select {
	case <-m.done:
	case <-ctx.Done():
		m.cancel() // the measurement running fails at once, and so does every one after it
		<-m.done
	}
	m.cancel()
}

// measure measures one recording, records its quality and delivers it.
func (m *measurer) measure(j measureJob) {
	ctx := context.Background()
	v, err := m.svc.cat.GetVoDByName(ctx, j.vodName)
	if err != nil {
		return // deleted while it waited
	}
	var r quality.Report
	if len(v.QualityReport) > 0 {
		if err := json.Unmarshal(v.QualityReport, &r); err != nil {
			m.log.Warn().Err(err).Str("file", v.VodName).Msg("quality: the pending report does not read; measuring without it")
			r = quality.Report{}
		}
	}
	began := time.Now()
	r, err = quality.Measure(m.ctx, filepath.Join(m.svc.streamsDir, v.VodName), r)
	if err != nil {
		why := "it could not be measured: " + err.Error()
		if m.ctx.Err() != nil {
			why = "the service stopped before it was measured"
		} else {
			m.log.Error().Err(err).Str("file", v.VodName).Msg("quality: measuring the recording failed")
		}
		m.unmeasured(j, why)
		return
	}
	individual := v.Kind == "individual"
	if individual {
		r.Participants = []quality.Participant{{StreamID: v.StreamID, SilentSpans: r.SilentSpans}}
	}
	r.MeasuredAt = m.svc.now().UnixMilli()
	r.Problems = quality.Judge(r, m.limits, individual)
	q := catalog.QualityOK
	if len(r.Problems) > 0 {
		q = catalog.QualitySuspect
	}
	l := m.log.Info()
	if q == catalog.QualitySuspect {
		l = m.log.Warn()
	}
	l.Str("streamId", v.StreamID).Str("file", v.VodName).Str("quality", q).Strs("problems", r.Problems).
		Dur("took", time.Since(began)).Msg("recording measured")
	m.settle(v, j.files, q, r)
}

// unmeasured delivers a recording that was not measured, saying why.
func (m *measurer) unmeasured(j measureJob, why string) {
	v, err := m.svc.cat.GetVoDByName(context.Background(), j.vodName)
	if err != nil {
		return
	}
	var r quality.Report
	if json.Unmarshal(v.QualityReport, &r) != nil {
		r = quality.Report{}
	}
	r.Problems = []string{why}
	m.settle(v, j.files, catalog.QualityUnmeasured, r)
}

// settle records a recording's quality and delivers it.
func (m *measurer) settle(v catalog.VoD, files []string, q string, r quality.Report) {
	ctx := context.Background()
	b, _ := json.Marshal(r)
	v.Quality, v.QualityReport = q, b
	if err := m.svc.cat.SetQuality(ctx, v.VodName, q, b); err != nil {
		m.log.Error().Err(err).Str("file", v.VodName).Msg("catalog: recording the quality failed")
	}
	if _, err := m.svc.cat.GetVoDByName(ctx, v.VodName); err != nil {
		return // deleted while it was measured: nothing to announce
	}
	m.svc.deliver(ctx, v, files)
}

// resume queues the recordings a previous process listed but did not measure.
func (m *measurer) resume(ctx context.Context) {
	vods, err := m.svc.cat.VoDsOfQuality(ctx, catalog.QualityPending)
	if err != nil {
		m.log.Error().Err(err).Msg("catalog: finding recordings left unmeasured")
		return
	}
	for _, v := range vods {
		m.log.Info().Str("file", v.VodName).Msg("measuring a recording the previous process left unmeasured")
		m.enqueue(measureJob{vodName: v.VodName, files: vodFileNames(v)})
	}
}

// pendingReport is a recording's report before measuring: what only the session knows.
func pendingReport(rec worker.Recording, b catalog.Broadcast, haveBroadcast bool) json.RawMessage {
	r := quality.Report{Problems: []string{}, WallMs: rec.Wall.Milliseconds()}
	for _, g := range rec.Gaps {
		r.GapsMs += g.Duration.Milliseconds()
	}
	if rec.Format != recorder.MP3 { // the mix's audio alone has no picture to judge
		r.RequestedFPS = worker.CaptureFPS
		if haveBroadcast {
			r.RequestedWidth, r.RequestedHeight = b.Width, b.Height
		}
		if rec.AVOffsetKnown {
			ms := rec.AVOffset.Milliseconds()
			r.AVOffsetMs, r.AVOffsetFrom = &ms, "session"
		}
	}
	out, _ := json.Marshal(r)
	return out
}

// legReport is a participant's audio's report before measuring.
func legReport(l legs.Leg) json.RawMessage {
	r := quality.Report{Problems: []string{}}
	if !l.Joined.IsZero() && l.Left.After(l.Joined) {
		r.WallMs = l.Left.Sub(l.Joined).Milliseconds()
	}
	out, _ := json.Marshal(r)
	return out
}

// listPending prepares v to be listed as waiting for its measurement; false when recordings
// are not measured.
func (s *Service) listPending(v *catalog.VoD, report json.RawMessage) bool {
	if s.measurer == nil {
		return false
	}
	v.Quality, v.QualityReport = catalog.QualityPending, report
	return true
}

// measureThenDeliver measures a listed recording, then delivers it; without measuring, it
// delivers it at once.
func (s *Service) measureThenDeliver(ctx context.Context, v catalog.VoD, files []string) {
	if s.measurer == nil || v.Quality != catalog.QualityPending {
		s.deliver(ctx, v, files)
		return
	}
	s.measurer.enqueue(measureJob{vodName: v.VodName, files: files})
}
