package recorder

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/at-wat/ebml-go/mkvcore"

	"mediapush/media"
)

// ErrClosed is returned by writes to a closed Writer.
var ErrClosed = errors.New("recorder: writer is closed")

// Stats describes what a Writer has written so far.
type Stats struct {
	VideoFrames int64         // video samples written
	AudioFrames int64         // audio samples written
	Dropped     int64         // samples discarded: video before the first keyframe, audio older than it, late audio
	Bytes       int64         // bytes written to the file
	Duration    time.Duration // timestamp of the last written sample (the file starts at 0)
	Width       int           // picture size of the first keyframe
	Height      int
}

// track indexes
const (
	vidx = 0
	aidx = 1
)

// Writer writes one recording incrementally to a Matroska file. See Create.
//
// WriteVideo and WriteAudio may be called concurrently (one goroutine per
// track); within a track samples must come in PTS order (later video with an
// earlier PTS is moved up, such audio dropped). The Writer interleaves the
// tracks by PTS so the file's blocks are in non-decreasing time order: a
// sample waits for the other track at most 300 ms (wall clock), and a track
// more than 300 ms (PTS) ahead of the other blocks its caller meanwhile. A
// single goroutine feeding both tracks should keep them within 300 ms of
// each other. Each sample reaches the file with write(2) as soon as the
// interleaving lets it go: there is no other buffering.
type Writer struct {
	path     string
	vcodec   media.Codec
	hasAudio bool
	audio    trackEntry
	docType  string
	sink     *fileSink

	mu       sync.Mutex
	closed   bool
	closeErr error
	started  bool
	t0       time.Duration // PTS of the first keyframe = file time 0
	h264     h264Params
	bw       []mkvcore.BlockWriteCloser
	q        [2]queue
	lastIn   [2]time.Duration // last PTS accepted per track
	stalled  [2]bool          // track made the other wait a whole window
	lastOut  int64            // last timestamp written, ms
	timer    *time.Timer
	waiters  int
	wake     chan struct{}

	videoFrames, audioFrames, dropped atomic.Int64
	lastOutMs                         atomic.Int64
	width, height                     atomic.Int32
}

// Create starts a recording at path, which must not exist yet (an existing
// file may be a crashed recording waiting for Repair). audio nil records
// video only. Video must be H264, VP8 or VP9, audio Opus. The file is
// DocType "webm" for VP8/VP9 (+ Opus) and "matroska" for H264.
//
// Nothing is written before the first video keyframe, whose PTS becomes
// time 0 of the file; the track headers are taken from it.
func Create(path string, video media.Track, audio *media.Track) (*Writer, error) {
	w, err := newWriter(path, video, audio)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("recorder: create: %w", err)
	}
	w.sink = &fileSink{f: f}
	return w, nil
}

// newWriter prepares a Writer for the tracks, without its output.
func newWriter(path string, video media.Track, audio *media.Track) (*Writer, error) {
	if !video.Codec.IsVideo() {
		return nil, fmt.Errorf("recorder: video track has codec %s, want H264, VP8 or VP9", codecName(video.Codec))
	}
	w := &Writer{
		path:    path,
		vcodec:  video.Codec,
		docType: "webm",
		wake:    make(chan struct{}),
		lastIn:  [2]time.Duration{math.MinInt64, math.MinInt64},
	}
	if video.Codec == media.H264 {
		w.docType = "matroska"
	}
	if audio != nil {
		if audio.Codec != media.Opus {
			return nil, fmt.Errorf("recorder: audio track has codec %s, want Opus", codecName(audio.Codec))
		}
		ch := audio.Channels
		if ch == 0 {
			ch = 2
		}
		rate := audio.ClockRate
		if rate <= 0 {
			rate = 48000
		}
		head, err := opusHead(ch, rate)
		if err != nil {
			return nil, err
		}
		w.hasAudio = true
		w.audio = trackEntry{
			TrackNumber:  audioTrackNumber,
			TrackType:    2,
			CodecID:      codecIDs[media.Opus],
			CodecPrivate: head,
			CodecDelay:   opusCodecDelay(),
			SeekPreRoll:  uint64(opusSeekPreRoll),
			// Opus always decodes at 48 kHz, whatever the RTP clock rate says.
			Audio: &audioSettings{SamplingFrequency: 48000, Channels: uint64(ch)},
		}
	}
	return w, nil
}

// NewStream writes the same Matroska stream as Create to out (a pipe to another program,
// say), which Close closes. name stands for out in error messages.
func NewStream(out io.WriteCloser, name string, video media.Track, audio *media.Track) (*Writer, error) {
	w, err := newWriter(name, video, audio)
	if err != nil {
		return nil, err
	}
	w.sink = &fileSink{f: out}
	return w, nil
}

// WriteVideo adds one video sample. Samples before the first keyframe are
// dropped (not an error). The Writer does not keep s after it returns.
// It may block for up to about 300 ms when video runs ahead of audio.
func (w *Writer) WriteVideo(s media.Sample) error {
	w.mu.Lock()
	if err := w.checkLocked(); err != nil {
		w.mu.Unlock()
		return err
	}
	var key bool
	switch w.vcodec {
	case media.H264:
		key = w.h264.scan(s.NALUs)
	case media.VP8:
		key = vp8Key(s.Frame)
	case media.VP9:
		key, _, _ = vp9Key(s.Frame)
	}
	if (w.vcodec == media.H264 && len(s.NALUs) == 0) || (w.vcodec != media.H264 && len(s.Frame) == 0) {
		w.dropAndUnlock()
		return nil
	}
	if !w.started {
		if !key {
			w.dropAndUnlock()
			return nil
		}
		if err := w.startLocked(s); err != nil {
			w.dropped.Add(1)
			w.mu.Unlock()
			if errors.Is(err, errNoParams) {
				return nil // wait for a keyframe with SPS/PPS
			}
			return err
		}
	}
	pts := max(s.PTS, w.lastIn[vidx]) // keep the track monotonic
	var data []byte
	if w.vcodec == media.H264 {
		data = avccFrame(s.NALUs)
	} else {
		data = append([]byte(nil), s.Frame...)
	}
	w.pushLocked(vidx, pending{pts: pts, key: key, data: data, arrived: time.Now()})
	w.mu.Unlock()
	return nil
}

// WriteAudio adds one Opus packet. Audio older than the first video
// keyframe, or older than what the file already holds, is dropped (not an
// error). The Writer does not keep s after it returns. It may block for up
// to about 300 ms when audio runs ahead of video.
func (w *Writer) WriteAudio(s media.Sample) error {
	w.mu.Lock()
	if err := w.checkLocked(); err != nil {
		w.mu.Unlock()
		return err
	}
	if !w.hasAudio {
		w.mu.Unlock()
		return errors.New("recorder: WriteAudio on a recording without audio track")
	}
	if len(s.Frame) == 0 || s.PTS < w.lastIn[aidx] || (w.started && s.PTS < w.t0) {
		w.dropAndUnlock()
		return nil
	}
	// Before the first keyframe the queue keeps the latest window of audio:
	// what is not older than the keyframe is written once it arrives.
	w.pushLocked(aidx, pending{pts: s.PTS, key: true, data: append([]byte(nil), s.Frame...), arrived: time.Now()})
	w.mu.Unlock()
	return nil
}

func (w *Writer) checkLocked() error {
	if w.closed {
		return ErrClosed
	}
	if err := w.sink.failed(); err != nil {
		return fmt.Errorf("recorder: writing %s: %w", w.path, err)
	}
	return nil
}

func (w *Writer) dropAndUnlock() {
	w.dropped.Add(1)
	w.mu.Unlock()
}

// startLocked writes the file header for the first keyframe s.
func (w *Writer) startLocked(s media.Sample) error {
	video := trackEntry{
		TrackNumber: videoTrackNumber,
		TrackType:   1,
		CodecID:     codecIDs[w.vcodec],
	}
	var width, height int
	var err error
	switch w.vcodec {
	case media.H264:
		video.CodecPrivate, width, height, err = w.h264.avcC()
	case media.VP8:
		width, height, err = vp8Size(s.Frame)
	case media.VP9:
		_, width, height = vp9Key(s.Frame)
		if width <= 0 || height <= 0 {
			err = errors.New("recorder: VP9 keyframe without frame size")
		}
	}
	if err != nil {
		return err
	}
	video.Video = &videoSettings{PixelWidth: uint64(width), PixelHeight: uint64(height)}
	tracks := []trackEntry{video}
	if w.hasAudio {
		tracks = append(tracks, w.audio)
	}
	bw, err := startMatroska(w.sink, tracks, w.docType, w.sink.fail)
	if err != nil {
		return fmt.Errorf("recorder: writing header of %s: %w", w.path, err)
	}
	w.bw = bw
	w.started = true
	w.t0 = s.PTS
	w.width.Store(int32(width))
	w.height.Store(int32(height))
	// Audio that arrived before the keyframe: drop what is older than it,
	// and let the rest wait for video from now on.
	now := time.Now()
	aq := &w.q[aidx]
	for aq.len() > 0 && aq.front().pts < w.t0 {
		aq.pop()
		w.dropped.Add(1)
	}
	for i := aq.head; i < len(aq.buf); i++ {
		aq.buf[i].arrived = now
	}
	w.broadcastLocked() // an audio writer may wait for room in its queue
	return nil
}

// Stats returns what has been written so far. Safe for concurrent use.
func (w *Writer) Stats() Stats {
	return Stats{
		VideoFrames: w.videoFrames.Load(),
		AudioFrames: w.audioFrames.Load(),
		Dropped:     w.dropped.Load(),
		Bytes:       w.sink.n.Load(),
		Duration:    time.Duration(w.lastOutMs.Load()) * time.Millisecond,
		Width:       int(w.width.Load()),
		Height:      int(w.height.Load()),
	}
}

// Close writes what is still waiting in the interleave buffer and closes the
// file. It is idempotent: later calls return the first call's result. A
// recording closed before its first video keyframe leaves an empty file.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return w.closeErr
	}
	w.closed = true
	if w.timer != nil {
		w.timer.Stop()
	}
	w.drainLocked(time.Now(), true)
	if w.started {
		for _, bw := range w.bw {
			bw.Close() // the last one returns once ebml-go has closed the file
		}
	}
	w.sink.Close()
	w.broadcastLocked()
	if err := w.sink.failed(); err != nil {
		w.closeErr = fmt.Errorf("recorder: writing %s: %w", w.path, err)
	} else if err := w.sink.closeError(); err != nil {
		w.closeErr = fmt.Errorf("recorder: closing %s: %w", w.path, err)
	}
	return w.closeErr
}
