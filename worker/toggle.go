package worker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"mediapush/media"
	"mediapush/recorder"
)

// Errors of the recording toggle.
var (
	ErrRecording    = errors.New("the session is recording already")
	ErrNotRecording = errors.New("the session is not recording")
)

// setRecording turns the session's recording on (a new file at the next keyframe, in formats,
// or as before) or off (the file is finished, listed and kept for the merge at the end).
func (s *session) setRecording(ctx context.Context, on bool, formats []recorder.Format) ([]Recording, error) {
	s.mu.Lock()
	st, in := s.state, s.in
	s.mu.Unlock()
	if st != Active {
		return nil, fmt.Errorf("the session is %s, not ACTIVE", st)
	}
	if !on {
		rec, wasOn := s.rec.turnOff()
		if !wasOn {
			return nil, ErrNotRecording
		}
		if rec == nil {
			return nil, nil // turned off before its first keyframe: nothing was recorded
		}
		parts, err := rec.finish(ctx, s.log, s.w.StreamsDir(), false)
		s.mu.Lock()
		s.parts = append(s.parts, parts...)
		s.mu.Unlock()
		s.w.cfg.OnEvent(Event{StreamID: s.job.StreamID, State: Active, At: time.Now(), Recordings: parts})
		return parts, err
	}
	video := s.videoCodec()
	if len(formats) == 0 {
		s.mu.Lock()
		formats = s.formats
		s.mu.Unlock()
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
	s.mu.Lock()
	s.formats = formats
	s.mu.Unlock()
	if !s.rec.turnOn() {
		return nil, ErrRecording
	}
	if in != nil {
		in.RequestKeyframe(0)
	}
	return nil, nil
}

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
	if rec, _ := s.rec.turnOff(); rec != nil {
		parts, err := rec.finish(ctx, s.log, s.w.StreamsDir(), partial)
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
		os.Remove(hlsMark(s.w.cfg.DataDir, strings.TrimSuffix(filepath.Base(hls.Path), ".m3u8")))
	}
	errs = append(errs, err)
	return recs, errors.Join(errs...)
}
