package worker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"mediapush/browser"
	"mediapush/internal/recname"
	"mediapush/media"
	"mediapush/recorder"
)

// A session whose browser crashes (its tab's renderer, or the whole browser) is started again
// in a fresh tab: same page, same stream id, same recordings and pushes. The recording goes on
// as a new part of the same recording; at the end the parts of each format are joined into
// one file, each gap a chapter, and only that file is announced.

// crashNote is why a gap between parts of a recording is there, as its chapter title says.
// Why a recording has gaps, in the chapter titles of its joined parts.
const (
	crashNote    = "the browser crashed"
	takeOverNote = "its worker was lost"
)

// continuedPieces opens the parts of job's recording a lost worker made (Job.Continues) as
// pieces to join in front of what this session records. A part whose sidecar is missing or
// is another stream's is refused.
func continuedPieces(dir string, job Job) ([]*recording, error) {
	var pieces []*recording
	for _, name := range job.Continues {
		if dir == "" {
			return nil, errors.New("this worker has no directory of continued recordings")
		}
		src := filepath.Join(dir, name)
		meta, err := readSidecar(src + ".json")
		if err != nil {
			return nil, fmt.Errorf("the part %s it continues: %w", name, err)
		}
		if meta.StreamID != job.StreamID {
			return nil, fmt.Errorf("the part %s it continues is of stream %s", name, meta.StreamID)
		}
		pieces = append(pieces, &recording{partial: src, meta: meta})
	}
	return pieces, nil
}

// resume starts the session again after its browser died of crash, while it may, and says
// whether it runs again. When it does not (stopped, ended, or out of restarts), it has torn
// the session down.
func (s *session) resume(crash error) bool {
	crashedAt := time.Now()
	s.log.Warn().Err(crash).Msg("the browser crashed: starting the session again in a fresh tab")
	s.setResuming(true)
	defer s.setResuming(false)
	// The dead tab is closed once the fresh one is made: until then it holds its place in its
	// browser, which would otherwise be closed as idle and launched again.
	dead := s.detach()

	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	go func() {
		select {
		case <-s.stopReq:
		case <-s.endReq:
		case <-ctx.Done():
		}
		cancel()
	}()
	tries, err := retryUntil(ctx, s.restarts, s.w.after, func(ctx context.Context) error {
		err := s.bringUpWithin(ctx)
		if dead != nil {
			dead.Close()
			dead = nil
		}
		if err != nil {
			if ctx.Err() == nil { // not stopped meanwhile
				s.log.Warn().Err(err).Msg("the session could not start again")
			}
			if br := s.detach(); br != nil {
				br.Close()
			}
		}
		return err
	})
	if dead != nil {
		dead.Close()
	}
	switch {
	case err == nil:
	case s.stopRequested():
		s.teardown(Complete, "")
		return false
	case s.endRequested():
		s.teardown(Complete, s.endWhy)
		return false
	default:
		reason := crash.Error()
		if tries > 0 {
			n := "1 try"
			if tries > 1 {
				n = fmt.Sprintf("%d tries", tries)
			}
			reason += fmt.Sprintf("; the session could not start again (%s): %s", n, lastCause(err))
		}
		s.teardown(Failed, reason)
		return false
	}
	s.mu.Lock()
	s.partCount++
	parts := s.partCount
	s.mu.Unlock()
	gap := time.Since(crashedAt)
	reason := fmt.Sprintf("%s; continuing as part %d", crash, parts)
	s.log.Info().Dur("gap", gap).Int("part", parts).Int("tries", tries).Msg("the session runs again after a crash")
	s.w.cfg.OnEvent(Event{StreamID: s.job.StreamID, State: Active, At: time.Now(), Reason: reason,
		Parts: parts, Gaps: parts - 1})
	return true
}

// lastCause is the error of the last try in err, without the policy's own.
func lastCause(err error) error {
	var joined interface{ Unwrap() []error }
	if errors.As(err, &joined) {
		for _, e := range joined.Unwrap() {
			if !errors.Is(e, errGaveUp) {
				return e
			}
		}
	}
	return err
}

// bringUpWithin brings the session up again within the start timeout.
func (s *session) bringUpWithin(ctx context.Context) error {
	upCtx, cancel := context.WithTimeoutCause(ctx, s.w.cfg.StartTimeout,
		fmt.Errorf("no video from the page within %s", s.w.cfg.StartTimeout))
	defer cancel()
	err := s.bringUp(upCtx)
	if cause := context.Cause(upCtx); err != nil && upCtx.Err() != nil && ctx.Err() == nil && cause != nil {
		err = cause
	}
	return err
}

// detach lets go of the session's ingest and tab (dead, or failed to come up), keeping what
// was recorded as a piece to join with what comes next. It returns the tab, for the caller to
// close.
func (s *session) detach() *browser.Tab {
	s.mu.Lock()
	in, br := s.in, s.br
	s.br = nil
	s.mu.Unlock()
	if in != nil {
		in.Close() // no sample arrives after this
		st := in.Stats()
		// Counted in before as it stops being the session's: the counts never go back.
		s.mu.Lock()
		s.before.VideoFrames += st.VideoFrames
		s.before.AudioFrames += st.AudioFrames
		s.before.Bytes += st.Bytes
		s.before.LostPackets += st.LostPackets
		s.in = nil
		s.mu.Unlock()
	}
	if rec := s.rec.cut(); rec != nil {
		if err := rec.close(s.log); err != nil {
			s.log.Error().Err(err).Msg("closing the recording cut by the crash")
		}
		s.mu.Lock()
		s.pieces = append(s.pieces, rec)
		s.mu.Unlock()
	}
	return br
}

func (s *session) setResuming(on bool) {
	s.mu.Lock()
	s.resuming = on
	s.mu.Unlock()
}

func (s *session) stopRequested() bool {
	select {
	case <-s.stopReq:
		return true
	default:
		return false
	}
}

func (s *session) endRequested() bool {
	select {
	case <-s.endReq:
		return true
	default:
		return false
	}
}

// partCounts are the session's parts and the gaps between them; zero for a session that never
// crashed.
func (s *session) partCounts() (parts, gaps int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.partCount < 2 {
		return 0, 0
	}
	return s.partCount, s.partCount - 1
}

// finishStretch finishes what was recorded since recording was last turned on: rec (nil when no
// keyframe came since) and the pieces crashes cut before it, joined into one file per format,
// after the parts a lost worker made when this is the first stretch of a session taken over.
func (s *session) finishStretch(ctx context.Context, rec *recording, partial bool) ([]Recording, error) {
	s.mu.Lock()
	pieces, continued := s.pieces, s.continued
	s.pieces, s.continued = nil, 0
	s.mu.Unlock()
	var segs []Recording
	var errs []error
	for _, p := range pieces {
		recs, err := p.deliver(ctx, s.w.StreamsDir(), partial)
		segs = append(segs, recs...)
		errs = append(errs, err)
	}
	if rec != nil {
		recs, err := rec.finish(ctx, s.log, s.w.StreamsDir(), partial)
		segs = append(segs, recs...)
		errs = append(errs, err)
	}
	if len(pieces) > 0 {
		why := crashNote
		if continued == len(pieces) {
			why = takeOverNote
		}
		var err error
		segs, err = joinSegments(ctx, segs, s.w.StreamsDir(), why)
		errs = append(errs, err)
	}
	return segs, errors.Join(errs...)
}

// joinSegments joins, for each format, the segments of one recording that crashes cut (in
// order) into one file named as the first, each gap a chapter; the segments are removed. A
// format whose join fails keeps its segments, each a recording of its own.
func joinSegments(ctx context.Context, segs []Recording, dir, why string) ([]Recording, error) {
	byFormat := map[recorder.Format][]Recording{}
	var order []recorder.Format
	for _, p := range segs {
		if len(byFormat[p.Format]) == 0 {
			order = append(order, p.Format)
		}
		byFormat[p.Format] = append(byFormat[p.Format], p)
	}
	var out []Recording
	var errs []string
	for _, f := range order {
		group := byFormat[f]
		if len(group) < 2 {
			out = append(out, group...)
			continue
		}
		first := group[0]
		stem, _ := recname.SplitExt(first.Key)
		joining := filepath.Join(dir, "."+stem+".joining."+string(f))
		j, err := concatParts(ctx, group, dir, joining, why)
		if err == nil {
			err = os.Rename(joining, filepath.Join(dir, first.Key)) // replaces the first segment at once
		}
		if err != nil {
			os.Remove(joining)
			errs = append(errs, err.Error())
			out = append(out, group...)
			continue
		}
		for _, p := range group[1:] {
			os.Remove(filepath.Join(dir, p.Key))
		}
		j.Key = first.Key
		out = append(out, j)
	}
	if len(errs) > 0 {
		return out, fmt.Errorf("joining the parts a crash cut: %s", strings.Join(errs, "; "))
	}
	return out, nil
}

// shifted passes the samples of one tab's media on to the live outputs, which run through
// restarts: a restarted tab's media continues the first tab's timeline after the gap. The
// shift is taken at the first sample, once the media's epoch is known.
type shifted struct {
	to interface {
		WriteVideo(media.Sample) error
		WriteAudio(media.Sample) error
	}
	epoch func() time.Time // the wall-clock time of this tab's PTS 0
	s     *session

	once sync.Once
	by   time.Duration
}

func (l *shifted) shift(m media.Sample) media.Sample {
	l.once.Do(func() {
		epoch := l.epoch()
		l.s.mu.Lock()
		if l.s.liveEpoch.IsZero() {
			l.s.liveEpoch = epoch
		}
		l.by = epoch.Sub(l.s.liveEpoch)
		l.s.mu.Unlock()
	})
	m.PTS += l.by
	return m
}

func (l *shifted) WriteVideo(m media.Sample) error { return l.to.WriteVideo(l.shift(m)) }
func (l *shifted) WriteAudio(m media.Sample) error { return l.to.WriteAudio(l.shift(m)) }
