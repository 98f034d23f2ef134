package ingest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/rs/zerolog"

	"mediapush/media"
)

// Sink receives a session's samples in PTS order per track. It is called from one goroutine
// at a time.
type Sink interface {
	WriteVideo(media.Sample) error
	WriteAudio(media.Sample) error
}

// DefaultKeyframeInterval is how often a session asks for a keyframe unless told otherwise.
const DefaultKeyframeInterval = 2 * time.Second

// Config configures one ingest session.
type Config struct {
	// OnReady is called once, when the first video keyframe has arrived and the audio track is
	// known (or known to be missing); audio is nil for a capture without sound. It returns the
	// sink for all samples from that keyframe on.
	OnReady func(video media.Track, audio *media.Track) (Sink, error)
	// KeyframeInterval is how often a keyframe is requested (the browser's H264 encoder sends
	// them rarely by itself). Default DefaultKeyframeInterval.
	KeyframeInterval time.Duration
	// VideoBitrate (bit/s) is what the browser's encoder starts at; 0 leaves its default.
	VideoBitrate int
	// AudioBitrate (bit/s) is the Opus bitrate the answer asks for; 0: DefaultOpusBitrate.
	AudioBitrate int
	// Relay, when set, is asked once per track for a function that receives the track's RTP
	// packets as they arrive (before reordering), to pass them on to live viewers. It may
	// return nil for a track it does not want.
	Relay func(webrtc.RTPCodecCapability) (func(*rtp.Packet), error)
	Log   zerolog.Logger
}

// audioGrace is how long the first video keyframe waits for an offered audio track to be
// timed: the browser's first audio sender report can take two seconds and more.
const audioGrace = senderReportWait + 500*time.Millisecond

var errPublishedAlready = errors.New("this session is being published already")

// Session is one browser's publication into the ingest.
type Session struct {
	srv    *Server
	id     string
	secret string
	cfg    Config

	mu          sync.Mutex
	pc          *webrtc.PeerConnection
	expectAudio bool
	video       *trackReader
	audio       *trackReader
	epoch       time.Time // NTP time that is PTS 0
	firstKey    time.Time // arrival of the first video keyframe
	early       []earlySample
	sink        Sink
	withAudio   bool // the sink takes audio
	flushing    bool // the held samples are being written; new ones queue behind them
	failed      chan struct{}
	failErr     error
	closed      bool

	keyframeWanted bool        // a keyframe was asked for and has not arrived yet
	keyframeRetry  *time.Timer // repeats the request meanwhile

	firstFrame     chan struct{}
	firstFrameOnce sync.Once
	flowing        chan struct{} // closed when samples go to the sink

	wg    sync.WaitGroup
	stats counters
}

type earlySample struct {
	video bool
	s     media.Sample
}

type counters struct {
	videoFrames, audioFrames, bytes atomic.Int64
	lastPacket                      atomic.Int64 // unix nanoseconds
	lost                            atomic.Int64
	// Each track's smoothed delay from the sender's clock to arrival (nanoseconds), once
	// sender reports time it.
	videoDelay, audioDelay atomic.Int64
	videoTimed, audioTimed atomic.Bool
}

// Stats is a snapshot of what a session received.
type Stats struct {
	VideoFrames, AudioFrames int64
	Bytes                    int64
	LostPackets              int64
	LastPacket               time.Time // zero before the first packet
	// AVOffset is how much longer the video takes than the audio from the sender's clock to
	// arrival here: each sample's delay is its arrival less its sender time (its RTP time
	// mapped through the track's RTCP sender reports), smoothed over about a second. The
	// recording places both tracks by sender time, so this is the skew of what arrives, the
	// video encoder's backlog mostly: a player that plays as packets come sees it. Positive:
	// video late. AVOffsetKnown is false until both tracks are timed by sender reports.
	AVOffset      time.Duration
	AVOffsetKnown bool
}

func newSession(srv *Server, id, secret string, cfg Config) *Session {
	if cfg.KeyframeInterval == 0 {
		cfg.KeyframeInterval = DefaultKeyframeInterval
	}
	return &Session{srv: srv, id: id, secret: secret, cfg: cfg,
		failed: make(chan struct{}), firstFrame: make(chan struct{}), flowing: make(chan struct{})}
}

// Secret authorises the browser's offer for this session.
func (s *Session) Secret() string { return s.secret }

// URL is where the browser posts its offer.
func (s *Session) URL() string { return s.srv.URL(s.id) }

// FirstFrame is closed when the first video keyframe has arrived.
func (s *Session) FirstFrame() <-chan struct{} { return s.firstFrame }

// Flowing is closed once samples go to the sink: the first keyframe is in and the audio is
// timed (the first seconds are held back until then).
func (s *Session) Flowing() <-chan struct{} { return s.flowing }

// Epoch is the wall-clock (sender) time of PTS 0; zero before the first sample.
func (s *Session) Epoch() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.epoch
}

// Failed is closed when the sink refused a sample (for example, a full disk); Err says why.
func (s *Session) Failed() <-chan struct{} { return s.failed }

// Err is why Failed closed.
func (s *Session) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failErr
}

// Stats returns what was received so far.
func (s *Session) Stats() Stats {
	st := Stats{
		VideoFrames: s.stats.videoFrames.Load(), AudioFrames: s.stats.audioFrames.Load(),
		Bytes: s.stats.bytes.Load(), LostPackets: s.stats.lost.Load(),
	}
	if ns := s.stats.lastPacket.Load(); ns != 0 {
		st.LastPacket = time.Unix(0, ns)
	}
	if s.stats.videoTimed.Load() && s.stats.audioTimed.Load() {
		st.AVOffset = time.Duration(s.stats.videoDelay.Load() - s.stats.audioDelay.Load())
		st.AVOffsetKnown = true
	}
	return st
}

// accept answers the browser's offer and starts receiving.
func (s *Session) accept(offer string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return "", errors.New("this session has ended")
	}
	if s.pc != nil {
		return "", errPublishedAlready
	}
	pc, err := s.srv.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return "", err
	}
	s.pc = pc
	pc.OnTrack(func(tr *webrtc.TrackRemote, recv *webrtc.RTPReceiver) {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.receive(tr, recv)
		}()
	})
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		s.cfg.Log.Debug().Str("state", st.String()).Msg("ingest connection")
	})
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", fmt.Errorf("bad offer: %w", err)
	}
	for _, t := range pc.GetTransceivers() {
		if t.Kind() == webrtc.RTPCodecTypeAudio {
			s.expectAudio = true
		}
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return "", fmt.Errorf("cannot answer the offer: %w", err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		return "", err
	}
	<-gathered // loopback only: immediate
	answerSDP := withMusicAudio(withStartBitrate(pc.LocalDescription().SDP, s.cfg.VideoBitrate/1000), s.cfg.AudioBitrate)
	s.cfg.Log.Debug().Str("answer", answerSDP).Msg("ingest answer")
	return answerSDP, nil
}

// receive runs one remote track until the connection closes.
func (s *Session) receive(tr *webrtc.TrackRemote, recv *webrtc.RTPReceiver) {
	r, err := newTrackReader(s, tr, recv)
	if err != nil {
		s.cfg.Log.Warn().Err(err).Msg("ignoring track")
		return
	}
	s.mu.Lock()
	if r.track.Codec.IsVideo() {
		if s.video != nil {
			s.mu.Unlock()
			s.cfg.Log.Warn().Msg("ignoring a second video track")
			return
		}
		s.video = r
	} else {
		if s.audio != nil {
			s.mu.Unlock()
			s.cfg.Log.Warn().Msg("ignoring a second audio track")
			return
		}
		s.audio = r
	}
	s.mu.Unlock()
	s.cfg.Log.Debug().Str("codec", string(r.track.Codec)).Str("fmtp", tr.Codec().SDPFmtpLine).Msg("track")
	if r.track.Codec.IsVideo() {
		stop := make(chan struct{})
		defer close(stop)
		go s.requestKeyframes(uint32(tr.SSRC()), stop)
	}
	r.run()
}

// requestKeyframes asks for a keyframe now and then every KeyframeInterval, so a recording
// starts at once and stays seekable.
func (s *Session) requestKeyframes(ssrc uint32, stop <-chan struct{}) {
	t := time.NewTicker(s.cfg.KeyframeInterval)
	defer t.Stop()
	for {
		s.RequestKeyframe(ssrc)
		select {
		case <-stop:
			return
		case <-t.C:
		}
	}
}

// emit takes one timed sample from a track reader. Until the session is ready it holds the
// samples (from the first video keyframe on); then it hands everything to the sink in order.
// The sink is called without the lock held: it may wait for the other track to catch up.
func (s *Session) emit(video bool, smp media.Sample, ntp time.Time) {
	s.mu.Lock()
	if s.closed || s.failErr != nil {
		s.mu.Unlock()
		return
	}
	if s.epoch.IsZero() {
		s.epoch = ntp
	}
	if !video && s.audio != nil {
		s.audio.emitted = true
	}
	smp.PTS = ntp.Sub(s.epoch)
	if s.sink != nil && !s.flushing {
		sink, withAudio := s.sink, s.withAudio
		s.mu.Unlock()
		s.write(sink, withAudio, video, smp)
		return
	}
	if video && s.firstKey.IsZero() {
		if !smp.Keyframe {
			s.mu.Unlock()
			return // nothing decodes before a keyframe
		}
		s.firstKey = time.Now()
	}
	if !video && s.firstKey.IsZero() && len(s.early) > 100 {
		s.early = s.early[1:] // audio long before the picture starts is dropped by the recorder anyway
	}
	s.early = append(s.early, earlySample{video: video, s: smp})
	s.mu.Unlock()
}

// maybeStart starts the session once the first keyframe is in and the audio is timed. Track
// readers call it after handing over a batch, never in the middle of one: the flush writes
// both tracks in order, and a reader still holding samples of its own would make it wait.
func (s *Session) maybeStart() {
	s.mu.Lock()
	if s.closed || s.sink != nil || s.firstKey.IsZero() {
		s.mu.Unlock()
		return
	}
	// Audio is known once it is timed; if no audio packet came at all, the capture is silent.
	waited := time.Since(s.firstKey)
	audioKnown := !s.expectAudio || (s.audio != nil && s.audio.emitted) ||
		(s.audio == nil && waited > audioGrace) || waited > 2*audioGrace
	if !audioKnown {
		s.mu.Unlock()
		return
	}
	s.start() // unlocks
}

// start calls OnReady and writes the held samples in time order, then lets samples go to the
// sink directly. Called with s.mu held; returns with it released.
func (s *Session) start() {
	var audio *media.Track
	if s.audio != nil && s.audio.emitted {
		a := s.audio.track
		audio = &a
	}
	sink, err := s.cfg.OnReady(s.video.track, audio)
	if err != nil {
		s.fail(err)
		s.mu.Unlock()
		return
	}
	s.sink, s.withAudio, s.flushing = sink, audio != nil, true
	close(s.flowing)
	for len(s.early) > 0 {
		batch := s.early
		s.early = nil
		s.mu.Unlock()
		slices.SortStableFunc(batch, func(a, b earlySample) int { return int(a.s.PTS - b.s.PTS) })
		for _, e := range batch {
			s.write(sink, audio != nil, e.video, e.s)
		}
		s.mu.Lock()
	}
	s.flushing = false
	s.mu.Unlock()
}

func (s *Session) write(sink Sink, withAudio, video bool, smp media.Sample) {
	var err error
	if video {
		err = sink.WriteVideo(smp)
	} else if withAudio {
		err = sink.WriteAudio(smp)
	}
	if err != nil {
		s.mu.Lock()
		s.fail(err)
		s.mu.Unlock()
	}
}

// fail records the first sink error. Called with s.mu held.
func (s *Session) fail(err error) {
	if s.failErr == nil {
		s.failErr = err
		close(s.failed)
	}
}

// Close ends the publication and waits for the track readers. What they held back (samples
// waiting for the audio's timing) goes to the sink first; samples stop before Close returns.
func (s *Session) Close() {
	s.mu.Lock()
	pc := s.pc
	s.mu.Unlock()
	if pc != nil {
		pc.Close() //nolint:errcheck // closing
	}
	s.wg.Wait() // the readers have passed on what they held
	s.mu.Lock()
	if s.sink == nil && !s.firstKey.IsZero() && s.failErr == nil && !s.closed {
		s.start() // the audio was never timed: start with what there is; unlocks
		s.mu.Lock()
	}
	s.closed = true
	s.stopKeyframeRetry()
	s.mu.Unlock()
	s.srv.forget(s.id, s)
}
