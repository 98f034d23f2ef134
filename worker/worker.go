package worker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"mediapush/browser"
	"mediapush/ingest"
	"mediapush/recorder"
	"mediapush/rooms"
)

// Config configures a Worker.
type Config struct {
	// DataDir holds recordings in progress (recording/), finished files (streams/) and the
	// browsers' profiles (tmp/).
	DataDir string
	// StreamsDir is where finished recordings go; default DataDir/streams. A worker on another
	// machine than its controller writes to a directory both share.
	StreamsDir string
	// Ingest receives the browsers' streams.
	Ingest *ingest.Server
	// OnEvent receives every change of state of every session, in order per session.
	OnEvent func(Event)
	// OnDegraded, when set, is told when a running session falls below its quality targets
	// (MinFPS, MaxAVOffset) for longer than DegradedAfter, and when it recovers.
	OnDegraded func(Degradation)
	// StartTimeout bounds the time from start to the first video frame. Default 30 s.
	StartTimeout time.Duration
	// NoMediaTimeout fails an ACTIVE session that receives nothing for this long. Default 10 s.
	NoMediaTimeout time.Duration
	// StartSignalTimeout bounds the wait for the page's start signal of a job that awaits it.
	// Default 30 s.
	StartSignalTimeout time.Duration
	// Hub, when set, makes each session a live stream that viewers can play while it records.
	Hub *rooms.Hub
	// Forward, when set with Hub, sends each session's live stream on once media flows: a
	// worker node's to its controller, where viewers play it. It is not one of the session's
	// endpoints and not counted against MaxPushes; it ends with the session.
	Forward func(streamID string) (*rooms.Push, error)
	// ChromiumPath overrides the Chromium binary.
	ChromiumPath string

	// SpoolDir, when set, is a directory on storage shared with the controller, one per worker
	// node (a node lost is recovered from its own), where each
	// recording in progress is copied as it grows, every SpoolInterval (default
	// DefaultSpoolInterval), so that losing this machine loses at most that much of it
	// (see RebuildSpooled).
	SpoolDir      string
	SpoolInterval time.Duration
	// ContinuedDir is the shared directory where the recordings of a lost node's sessions are
	// rebuilt (RebuildSpooled) for the node that takes them over (Job.Continues).
	ContinuedDir string

	// Limits bound what the worker takes on.
	Limits
	// Proxy (host:port) carries the browsers' HTTP traffic and enforces the destination policy.
	Proxy string
	// ChromiumSwitches are the operator's Chromium switches for every browser, one
	// "--name[=value]" each (see browser.ParseServerSwitches).
	ChromiumSwitches []string
	// ChromiumSandbox runs Chromium in its sandbox: auto (the default) wherever the host
	// allows it, on (New fails where it cannot) or off.
	ChromiumSandbox browser.SandboxMode
	// Browsers say how sessions share browsers: how many are launched ahead (zero here: none;
	// mediapush serve's default is browser.DefaultPoolSettings), how many tabs each takes and
	// after how many sessions each is replaced (zero: the defaults).
	Browsers browser.PoolSettings
	Log      zerolog.Logger
}

// Errors a caller can tell apart.
var (
	ErrExists   = errors.New("a session with this stream id is running already")
	ErrNotFound = errors.New("no session with this stream id is running")
)

// Worker runs any number of sessions in this process.
type Worker struct {
	cfg Config
	// switches are cfg.ChromiumSwitches, parsed; sandbox is the decision on cfg.ChromiumSandbox.
	switches map[string]any
	sandbox  bool
	// pool runs the sessions' tabs.
	pool *browser.Pool

	mu       sync.Mutex
	sessions map[string]*session
	closed   bool

	stopDisk chan struct{} // ends the free space watcher
	diskDone chan struct{}

	// model learns what each kind of session costs; meter measures the running ones.
	model           *costModel
	meter           *meter
	stopCost        chan struct{} // ends the measurements
	costDone        chan struct{}
	refusals        map[string]*atomic.Int64 // refused starts by cause
	degradedReports atomic.Int64
	// after waits, before a restart: time.After but in tests.
	after func(time.Duration) <-chan time.Time
}

// New prepares the data directory. It removes browser profiles and temporary directories left
// by a previous process that died; Recover turns its unfinished recordings into files.
func New(cfg Config) (*Worker, error) {
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = DefaultStartTimeout
	}
	if cfg.StartSignalTimeout == 0 {
		cfg.StartSignalTimeout = DefaultStartSignalTimeout
	}
	if cfg.NoMediaTimeout == 0 {
		cfg.NoMediaTimeout = DefaultNoMediaTimeout
	}
	if cfg.SpoolInterval == 0 {
		cfg.SpoolInterval = DefaultSpoolInterval
	}
	if cfg.OnEvent == nil {
		cfg.OnEvent = func(Event) {}
	}
	if cfg.StreamsDir == "" {
		cfg.StreamsDir = filepath.Join(cfg.DataDir, "streams")
	}
	cfg.setLimitDefaults()
	switches, err := browser.ParseServerSwitches(cfg.ChromiumSwitches)
	if err != nil {
		return nil, err
	}
	sandbox, why, err := browser.DecideSandbox(cfg.ChromiumSandbox, cfg.ChromiumPath)
	if err != nil {
		return nil, err
	}
	cfg.Log.Info().Bool("sandbox", sandbox).Str("why", why).Msg("chromium sandbox")
	if err := os.RemoveAll(filepath.Join(cfg.DataDir, "tmp")); err != nil {
		return nil, err
	}
	browser.RemoveStale()
	for _, d := range []string{filepath.Join(cfg.DataDir, "tmp"), filepath.Join(cfg.DataDir, "recording"), cfg.StreamsDir} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return nil, err
		}
	}
	if cfg.SpoolDir != "" {
		if err := os.MkdirAll(cfg.SpoolDir, 0o750); err != nil {
			return nil, fmt.Errorf("spool dir: %w", err)
		}
	}
	pool, err := browser.NewPool(browser.PoolOptions{PoolSettings: cfg.Browsers, Browser: browser.Options{
		ExecPath: cfg.ChromiumPath, WorkDir: filepath.Join(cfg.DataDir, "tmp", "chromium"),
		ServerSwitches: switches, Sandbox: sandbox, Log: cfg.Log, Proxy: cfg.Proxy,
	}})
	if err != nil {
		return nil, err
	}
	w := &Worker{cfg: cfg, switches: switches, sandbox: sandbox, pool: pool, sessions: map[string]*session{},
		stopDisk: make(chan struct{}), diskDone: make(chan struct{}),
		model: newCostModel(), stopCost: make(chan struct{}), costDone: make(chan struct{}), refusals: refusalCounters(),
		after: time.After}
	w.meter = newMeter(cfg.Sample, w.model, cfg.RampUp,
		qualityTargets{minFPS: cfg.MinFPS, maxAVOffset: cfg.MaxAVOffset, after: cfg.DegradedAfter})
	go w.watchDisk()
	go w.watchCost()
	return w, nil
}

// StreamsDir is where finished recordings go.
func (w *Worker) StreamsDir() string { return w.cfg.StreamsDir }

// MaxSessions is the most sessions this worker runs at once; 0 or less: no limit.
func (w *Worker) MaxSessions() int { return w.cfg.MaxSessions }

// Start runs job and returns once its first video frame has arrived (the session is ACTIVE),
// or with the reason it could not start. A failed start leaves nothing running.
func (w *Worker) Start(ctx context.Context, job Job) error {
	if err := job.Check(); err != nil {
		return err
	}
	continued, err := continuedPieces(w.cfg.ContinuedDir, job)
	if err != nil {
		return err
	}
	s, err := w.add(job)
	if err != nil {
		return err
	}
	s.pieces, s.continued = continued, len(continued)
	return s.start(ctx)
}

func (w *Worker) add(job Job) (*session, error) {
	low, err := w.diskLow()
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil, errors.New("mediapush is shutting down")
	}
	if _, ok := w.sessions[job.StreamID]; ok {
		return nil, ErrExists
	}
	if low != "" {
		return nil, w.refused(&LimitError{Message: low + "; no session starts until space is freed", Cause: CauseDisk, RetryAfter: DefaultRetryAfter})
	}
	if err := admitSession(len(w.sessions), w.cfg.MaxSessions); err != nil {
		return nil, w.refused(err)
	}
	est := w.model.estimate(job)
	if err := admitCost(job, est, w.loadLocked(), w.budget()); err != nil {
		return nil, w.refused(err)
	}
	s := newSession(w, job)
	s.estimate = est
	w.sessions[job.StreamID] = s
	return s, nil
}

func (w *Worker) remove(s *session) {
	w.mu.Lock()
	if w.sessions[s.job.StreamID] == s {
		delete(w.sessions, s.job.StreamID)
	}
	w.mu.Unlock()
}

func (w *Worker) get(streamID string) (*session, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	s, ok := w.sessions[streamID]
	if !ok {
		return nil, ErrNotFound
	}
	return s, nil
}

// Stop ends a session and returns once its recording is finished: the final event has been
// sent. A session still starting is aborted.
func (w *Worker) Stop(ctx context.Context, streamID string) (Event, error) {
	s, err := w.get(streamID)
	if err != nil {
		return Event{}, err
	}
	return s.stop(ctx)
}

// Command runs JavaScript in a session's page and returns its value as text.
func (w *Worker) Command(ctx context.Context, streamID, js string) (string, error) {
	s, err := w.get(streamID)
	if err != nil {
		return "", err
	}
	return s.command(ctx, js)
}

// Progress reports a running session's figures.
func (w *Worker) Progress(streamID string) (Progress, error) {
	s, err := w.get(streamID)
	if err != nil {
		return Progress{}, err
	}
	return s.progress(), nil
}

// Running lists the stream ids of the sessions in this worker.
func (w *Worker) Running() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	ids := make([]string, 0, len(w.sessions))
	for id := range w.sessions {
		ids = append(ids, id)
	}
	return ids
}

// Close stops every session, finishing their recordings, refuses new ones and closes the
// browsers.
func (w *Worker) Close(ctx context.Context) error {
	w.mu.Lock()
	if !w.closed {
		close(w.stopDisk)
		close(w.stopCost)
	}
	w.closed = true
	w.mu.Unlock()
	<-w.diskDone
	<-w.costDone
	var errs []error
	for _, id := range w.Running() {
		if _, err := w.Stop(ctx, id); err != nil && !errors.Is(err, ErrNotFound) {
			errs = append(errs, fmt.Errorf("%s: %w", id, err))
		}
	}
	w.pool.Close()
	return errors.Join(errs...)
}

// SetRecording turns a running session's recording on (in formats, or as before) or off.
// Turning it off finishes the file and returns it (also announced in an event).
func (w *Worker) SetRecording(ctx context.Context, streamID string, on bool, formats []recorder.Format) ([]Recording, error) {
	s, err := w.get(streamID)
	if err != nil {
		return nil, err
	}
	return s.setRecording(ctx, on, formats)
}

// AddEndpoint starts pushing a session to an RTMP(S) URL or a WHIP endpoint (http(s), with
// an optional bearer token) and returns the endpoint's id: id, or a new one when id is empty
// (an endpoint added before its session keeps the id it was given then).
func (w *Worker) AddEndpoint(streamID, id, target, token string) (string, error) {
	s, err := w.get(streamID)
	if err != nil {
		return "", err
	}
	return s.outs.add(id, target, token)
}

// RemoveEndpoint stops one of a session's pushes.
func (w *Worker) RemoveEndpoint(ctx context.Context, streamID, id string) error {
	s, err := w.get(streamID)
	if err != nil {
		return err
	}
	return s.outs.remove(ctx, id)
}

// Endpoints lists a session's pushes with their state.
func (w *Worker) Endpoints(streamID string) ([]Endpoint, error) {
	s, err := w.get(streamID)
	if err != nil {
		return nil, err
	}
	return s.outs.endpoints(), nil
}
