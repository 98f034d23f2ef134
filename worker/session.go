package worker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/pion/rtp"
	"github.com/rs/zerolog"

	"mediapush/browser"
	"mediapush/ingest"
	"mediapush/recorder"
	"mediapush/rooms"
)

// session is one job's life: STARTING → ACTIVE → ENDING → COMPLETE | FAILED | ABORTED.
type session struct {
	w     *Worker
	job   Job
	log   zerolog.Logger
	name  string // the stream id made unique: the session's name at the ingest
	began time.Time
	// estimate is what the session was expected to cost when it was admitted.
	estimate Cost

	br    *browser.Tab
	in    *ingest.Session
	live  *rooms.Stream    // the session as a stream viewers can play; nil without a hub
	rec   *recordingSwitch // the file recordings, turned on and off; nil for a push alone
	outs  *liveOutputs     // HLS and pushes
	parts []Recording      // recordings finished while the session runs (recording toggled off)
	sig   *signals
	// pieces are the recordings crashes cut since recording was last turned on, to be joined
	// with the one after them; restarts bounds the session's restarts after crashes.
	pieces   []*recording
	restarts *restartPolicy
	// continued counts the first pieces that are parts a lost worker recorded before this one
	// took the session over (Job.Continues).
	continued int
	// liveEpoch is the wall-clock time of the live outputs' PTS 0: the first tab's media
	// epoch, which a restarted tab's media is shifted to continue.
	liveEpoch time.Time
	relays    map[string]func(*rtp.Packet) // the live stream's tracks by codec, kept through restarts

	// ctx lives as long as the session: it ends the page watchers at teardown.
	ctx    context.Context
	cancel context.CancelFunc

	mu        sync.Mutex
	state     State
	activeAt  time.Time
	partCount int  // the parts recorded: 1, and one more after each restart
	resuming  bool // a crashed browser is being replaced
	// outsStarted says the live outputs were started, by the first tab's media.
	outsStarted bool
	// before are the media counts of the tabs crashes ended, so that the session's counts go
	// on growing through restarts.
	before ingest.Stats
	// avOffsets averages the A/V offset the ingest measures, through restarts.
	avOffsets avOffsetMean

	stopOnce sync.Once
	stopReq  chan struct{} // closed by stop
	endOnce  sync.Once
	endReq   chan struct{} // closed by end, after endWhy is set
	endWhy   string
	done     chan struct{} // closed after the final event
	final    Event
}

var errStopped = errors.New("stopped before it started")

func newSession(w *Worker, job Job) *session {
	ctx, cancel := context.WithCancel(context.Background())
	s := &session{w: w, job: job, began: time.Now(), state: Starting,
		log:       w.cfg.Log.With().Str("streamId", job.StreamID).Logger(),
		partCount: 1 + len(job.Continues), restarts: newRestartPolicy(w.cfg.MaxRestarts),
		ctx: ctx, cancel: cancel,
		stopReq: make(chan struct{}), endReq: make(chan struct{}), done: make(chan struct{})}
	s.sig = newSignals(s.reportSignal)
	s.outs = newLiveOutputs(s.log, s.requestKeyframe, w.cfg.Capture.HLSSegment)
	s.outs.maxPushes = w.cfg.MaxPushes
	if w.cfg.Hub != nil {
		s.outs.whip = func(target, token string) (*rooms.Push, error) {
			return w.cfg.Hub.Push(job.StreamID, target, token)
		}
		if w.cfg.Forward != nil {
			s.outs.forward = func() (*rooms.Push, error) { return w.cfg.Forward(job.StreamID) }
		}
	}
	s.rec = &recordingSwitch{formats: fileFormats(job.Record)}
	if len(s.rec.formats) > 0 && !job.AwaitStartSignal {
		s.rec.turnOn(s.rec.formats)
	}
	return s
}

func (s *session) setState(st State, reason string, recs []Recording) {
	s.mu.Lock()
	s.state = st
	if st == Active {
		s.activeAt = time.Now()
	}
	s.mu.Unlock()
	ev := Event{StreamID: s.job.StreamID, State: st, At: time.Now(), Reason: reason, Recordings: recs}
	if st == Starting {
		job := s.job.Public()
		ev.Job = &job
	}
	ev.Parts, ev.Gaps = s.partCounts()
	l := s.log.Info()
	if st == Failed {
		l = s.log.Warn()
	}
	l.Str("state", string(st)).Str("reason", reason).Msg("session")
	if st.Final() {
		s.final = ev
	}
	s.w.cfg.OnEvent(ev)
}

// reportSignal sends what the page signalled as an event, while the session runs: a signal
// a page gives as it is being closed is nobody's business.
func (s *session) reportSignal(kind EventKind, speaker string, at time.Time) {
	s.mu.Lock()
	st := s.state
	s.mu.Unlock()
	if st != Starting && st != Active {
		return
	}
	if kind == SpeakerChanged {
		s.log.Debug().Str("speaker", speaker).Msg("active speaker")
	} else {
		s.log.Info().Str("signal", string(kind)).Msg("the page signalled")
	}
	s.w.cfg.OnEvent(Event{StreamID: s.job.StreamID, Kind: kind, At: at, Speaker: speaker})
}

// start brings the session to ACTIVE or tears it down with the reason it could not.
func (s *session) start(ctx context.Context) error {
	s.setState(Starting, "", nil)
	ctx, stopped := context.WithCancel(ctx)
	defer stopped()
	go func() {
		select {
		case <-s.stopReq:
			stopped()
		case <-ctx.Done():
		}
	}()
	upCtx, cancel := context.WithTimeoutCause(ctx, s.w.cfg.StartTimeout,
		fmt.Errorf("no video from the page within %s", s.w.cfg.StartTimeout))
	err := s.bringUp(upCtx)
	if cause := context.Cause(upCtx); err != nil && upCtx.Err() != nil && cause != nil {
		err = cause
	}
	cancel()
	if err == nil && s.job.AwaitStartSignal {
		err = s.awaitStart(ctx)
	}
	if err == nil {
		s.setState(Active, "", nil)
		go s.watch()
		return nil
	}
	select {
	case <-s.stopReq:
		err = errStopped
		s.teardown(Aborted, "stopped before the recording started")
	default:
		s.teardown(Failed, err.Error())
	}
	return err
}

// bringUp opens the page in a tab, starts the capture and waits for the first frame.
func (s *session) bringUp(ctx context.Context) error {
	switches, err := browser.ParseSwitches(s.job.ChromeSwitches)
	if err != nil {
		return err
	}
	suffix := make([]byte, 4)
	rand.Read(suffix) //nolint:errcheck // never fails
	s.name = s.job.StreamID + "-" + hex.EncodeToString(suffix)
	br, err := s.w.pool.NewTab(ctx, browser.TabRequest{
		TabOptions: browser.TabOptions{Width: s.job.Width, Height: s.job.Height, Log: s.log, OnConsole: s.sig.onConsole},
		Switches:   switches, OwnBrowser: s.job.OwnBrowser,
	})
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.br = br
	s.mu.Unlock()
	if err := br.Open(ctx, s.job.URL); err != nil {
		return err
	}
	// Before the capture starts, so that what the script sets up (a layout, a login) is
	// what is recorded from the first frame.
	if s.job.JSCommand != "" {
		if _, err := br.ExecuteScript(ctx, s.job.JSCommand); err != nil {
			return fmt.Errorf("jsCommand: %w", err)
		}
	}
	go s.sig.watchMarkers(s.ctx, br)
	if err := s.goLive(); err != nil {
		return err
	}
	capture := s.w.cfg.Capture
	in, err := s.w.cfg.Ingest.NewSession(s.name, ingest.Config{
		OnReady: s.onFirstFrame, Log: s.log, Relay: s.relay, KeyframeInterval: capture.keyframeInterval(),
		VideoBitrate: capture.videoBitrate(s.job.Width, s.job.Height), AudioBitrate: capture.AudioBitrate,
	})
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.in = in
	s.mu.Unlock()
	if err := br.StartCapture(ctx, browser.CaptureOptions{
		IngestURL: in.URL(), Secret: in.Secret(), VideoCodec: string(s.videoCodec()),
		VideoBitrate: capture.videoBitrate(s.job.Width, s.job.Height), AudioBitrate: capture.AudioBitrate,
		FrameRate: capture.FrameRate, Width: s.job.Width, Height: s.job.Height,
	}); err != nil {
		return err
	}
	select {
	case <-in.FirstFrame():
	case <-in.Failed():
		return in.Err()
	case <-br.Dead():
		return br.Err()
	case <-ctx.Done():
		return ctx.Err()
	}
	br.Started()
	return nil
}

// awaitStart waits for the page's start signal, then lets the recording begin.
func (s *session) awaitStart(ctx context.Context) error {
	limit := s.w.cfg.StartSignalTimeout
	timer := time.NewTimer(limit)
	defer timer.Stop()
	select {
	case <-s.sig.start:
	case <-s.sig.end:
		return errors.New("the page signalled its end before its start")
	case <-timer.C:
		return fmt.Errorf("the page gave no start signal (console %s or a #conferenceStartedVoxeet element) within %s",
			consoleStart, limit)
	case <-s.in.Failed():
		return s.in.Err()
	case <-s.br.Dead():
		return s.br.Err()
	case <-ctx.Done():
		return ctx.Err()
	}
	s.log.Info().Msg("the page signalled its start: recording")
	if formats := s.rec.formatsNext(); len(formats) > 0 {
		s.rec.turnOn(formats)
		s.in.RequestKeyframe(0)
	}
	return nil
}

func (s *session) recordsAs(f recorder.Format) bool {
	for _, r := range s.job.Record {
		if r == f {
			return true
		}
	}
	return false
}

// videoBitrate is high enough that the encoder never has to shrink the picture on loopback.
func videoBitrate(w, h int) int {
	return min(max(w*h*9/2, 1_000_000), 8_000_000)
}

// watch ends an ACTIVE session when its browser dies, its media stops, its recording fails
// or it is asked to stop.
func (s *session) watch() {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var lengthLimit <-chan time.Time
	if limit := s.w.cfg.MaxSessionLength; limit > 0 {
		t := time.NewTimer(limit)
		defer t.Stop()
		lengthLimit = t.C
	}
	for {
		select {
		case <-s.stopReq:
			s.teardown(Complete, "")
			return
		case <-s.endReq:
			s.teardown(Complete, s.endWhy)
			return
		case <-lengthLimit:
			s.teardown(Complete, lengthLimitReason(s.w.cfg.MaxSessionLength))
			return
		case <-s.br.Dead():
			crash := s.br.Err()
			switch {
			case s.stopRequested(): // a stop never restarts
				s.teardown(Complete, "")
				return
			case s.endRequested():
				s.teardown(Complete, s.endWhy)
				return
			case errors.Is(crash, browser.ErrCrashed) && s.restarts.allows():
				if !s.resume(crash) {
					return
				}
			default:
				s.teardown(Failed, crash.Error())
				return
			}
		case <-s.in.Failed():
			s.teardown(Failed, "recording failed: "+s.in.Err().Error())
			return
		case <-s.sig.end:
			s.teardown(Complete, "the page signalled its end")
			return
		case <-tick.C:
			if last := s.in.Stats().LastPacket; time.Since(last) > s.w.cfg.NoMediaTimeout {
				s.teardown(Failed, fmt.Sprintf("no media from the page for %s", s.w.cfg.NoMediaTimeout.Round(time.Second)))
				return
			}
		}
	}
}

// teardown stops everything the session started, finishes its recording (kept even when the
// session failed) and sends the final event.
func (s *session) teardown(final State, reason string) {
	s.setState(Ending, reason, nil)
	s.cancel()
	ended := time.Now()
	if s.in != nil {
		st := s.in.Stats()
		s.mu.Lock()
		s.avOffsets.add(st)
		s.mu.Unlock()
		s.in.Close() // no sample arrives after this
	}
	if s.live != nil {
		s.live.Close("the session ended")
	}
	// Finishing must not depend on the caller's context: a file half made helps nobody.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	recs, err := s.finishAll(ctx, final != Complete)
	cancel()
	s.describe(recs, ended)
	if err != nil {
		s.log.Error().Err(err).Msg("finishing the recordings failed; unfinished files are kept for recovery")
		if final == Complete {
			final, reason = Failed, "finishing the recording failed: "+err.Error()
		}
	}
	if s.br != nil {
		s.br.Close()
	}
	s.w.remove(s)
	s.setState(final, reason, recs)
	close(s.done)
}

// end asks the session to end as a stop would, for reason, without waiting; a session still
// starting ends as soon as it is ACTIVE. It says whether this was the first such request.
func (s *session) end(reason string) (first bool) {
	s.endOnce.Do(func() {
		s.endWhy = reason
		close(s.endReq)
		first = true
	})
	return first
}

// stop asks the session to end and waits for its final event.
func (s *session) stop(ctx context.Context) (Event, error) {
	s.stopOnce.Do(func() { close(s.stopReq) })
	select {
	case <-s.done:
	case <-ctx.Done():
		return Event{}, ctx.Err()
	}
	if s.final.State == Failed {
		return s.final, errors.New(s.final.Reason)
	}
	return s.final, nil
}

func (s *session) command(ctx context.Context, js string) (string, error) {
	s.mu.Lock()
	st, br := s.state, s.br
	s.mu.Unlock()
	if st != Active {
		return "", fmt.Errorf("the session is %s, not ACTIVE", st)
	}
	if br == nil {
		return "", ErrResuming
	}
	return br.ExecuteScript(ctx, js)
}

// Progress is a running session's figures.
type Progress struct {
	State       State
	Elapsed     time.Duration // since ACTIVE
	VideoFrames int64
	AudioFrames int64
	Received    int64 // media bytes received
	Recorded    int64 // bytes written to the recording
	BrowserPID  int
}

func (s *session) progress() Progress {
	s.mu.Lock()
	p := Progress{State: s.state}
	if !s.activeAt.IsZero() {
		p.Elapsed = time.Since(s.activeAt)
	}
	in, br, before := s.in, s.br, s.before
	s.mu.Unlock()
	p.VideoFrames, p.AudioFrames, p.Received = before.VideoFrames, before.AudioFrames, before.Bytes
	if in != nil {
		st := in.Stats()
		p.VideoFrames += st.VideoFrames
		p.AudioFrames += st.AudioFrames
		p.Received += st.Bytes
	}
	if rec := s.rec.current(); rec != nil {
		p.Recorded = rec.writer.Stats().Bytes
	}
	if br != nil {
		p.BrowserPID = br.PID()
	}
	return p
}
