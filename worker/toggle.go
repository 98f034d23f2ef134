package worker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"mediapush/ingest"
	"mediapush/internal/recname"
	"mediapush/media"
	"mediapush/recorder"
)

// Errors of the recording toggle.
var (
	ErrRecording    = errors.New("the session is recording already")
	ErrNotRecording = errors.New("the session is not recording")
	ErrResuming     = errors.New("the session's browser crashed and is being replaced; try again in a moment")
)

// setRecording turns the session's recording on (a new file at the next keyframe, in formats,
// or as before) or off (the file is finished, listed and kept for the merge at the end).
func (s *session) setRecording(ctx context.Context, on bool, formats []recorder.Format) ([]Recording, error) {
	s.mu.Lock()
	st, in, resuming := s.state, s.in, s.resuming
	s.mu.Unlock()
	if st != Active {
		return nil, fmt.Errorf("the session is %s, not ACTIVE", st)
	}
	if resuming {
		return nil, ErrResuming
	}
	if !on {
		if !s.rec.isOn() {
			return nil, ErrNotRecording
		}
		s.awaitRecording(ctx, in)
		rec, wasOn := s.rec.turnOff()
		if !wasOn {
			return nil, ErrNotRecording
		}
		parts, err := s.finishStretch(ctx, rec, false)
		if len(parts) == 0 && err == nil {
			return nil, nil // no keyframe came since it was turned on: nothing was recorded
		}
		s.mu.Lock()
		s.parts = append(s.parts, parts...)
		s.mu.Unlock()
		s.w.cfg.OnEvent(Event{StreamID: s.job.StreamID, State: Active, At: time.Now(), Recordings: parts})
		return parts, err
	}
	video := s.videoCodec()
	if len(formats) == 0 {
		formats = s.rec.formatsNext()
	}
	if len(formats) == 0 {
		formats = []recorder.Format{recorder.MP4}
		if video != media.H264 {
			formats = []recorder.Format{recorder.WebM}
		}
	}
	for _, f := range formats {
		if f.Live() {
			return nil, fmt.Errorf("%s runs for the whole session: ask for it when starting", f)
		}
		if !f.Accepts(video) {
			return nil, fmt.Errorf("this session sends %s video, which %s cannot hold", video, f)
		}
	}
	if !s.rec.turnOn(formats) {
		return nil, ErrRecording
	}
	if in != nil {
		in.RequestKeyframe(0)
	}
	return nil, nil
}

// awaitRecording waits, before recording is turned off, until the media turned on has reached
// the recording: the ingest holds the first seconds back until the audio is timed, and the
// recording begins at a keyframe.
func (s *session) awaitRecording(ctx context.Context, in *ingest.Session) {
	wait, cancel := context.WithTimeout(ctx, recordingStartWait)
	defer cancel()
	if in != nil {
		select {
		case <-in.Flowing():
		case <-wait.Done():
			return
		}
	}
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for s.rec.current() == nil {
		select {
		case <-t.C:
		case <-wait.Done():
			return
		}
	}
}

// recordingStartWait bounds awaitRecording: the audio's timing (3.5 s at most) and a keyframe.
const recordingStartWait = 6 * time.Second

// videoCodec is what the session's page is captured as.
func (s *session) videoCodec() media.Codec {
	if s.recordsAs(recorder.WebM) {
		return media.VP8
	}
	return media.H264
}

// finishAll finishes what the session recorded: the file in progress, the merge of the parts
// of each format when recording was toggled, and the HLS recording. It returns what was not
// announced yet.
func (s *session) finishAll(ctx context.Context, partial bool) ([]Recording, error) {
	var recs []Recording
	var errs []error
	rec, _ := s.rec.turnOff()
	if parts, err := s.finishStretch(ctx, rec, partial); len(parts) > 0 || err != nil {
		recs = append(recs, parts...)
		errs = append(errs, err)
		s.mu.Lock()
		s.parts = append(s.parts, parts...)
		s.mu.Unlock()
	}
	s.mu.Lock()
	parts := s.parts
	s.mu.Unlock()
	merged, err := mergeSessionParts(ctx, parts, s.w.StreamsDir())
	recs = append(recs, merged...)
	errs = append(errs, err)
	hls, err := s.outs.close(ctx, s.job.StreamID, s.w.StreamsDir(), partial)
	if hls != nil {
		recs = append(recs, *hls)
		os.Remove(hlsMark(s.w.cfg.DataDir, strings.TrimSuffix(hls.Key, recname.Playlist)))
	}
	errs = append(errs, err)
	return recs, errors.Join(errs...)
}
