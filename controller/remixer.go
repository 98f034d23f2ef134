package controller

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"mediapush/catalog"
	"mediapush/internal/quality"
	"mediapush/remix"
)

// remixesAtOnce is how many remixes a node renders together. A remix keeps every core busy
// (decoding, compositing and encoding as fast as they go), so a second one would only halve
// the speed of each; the rest wait, oldest first. One conference's remixes are always one at a
// time, as Dolby's are.
const remixesAtOnce = 1

// remixer renders the queued remixes in the background.
type remixer struct {
	s   *Service
	log zerolog.Logger
	// page says how the layout pages are opened (Chromium and the destination proxy); URL,
	// size and Dir are each remix's.
	page remix.PageOptions
	fps  int
	dir  string // work directories, one per remix, kept across restarts for resuming
	// pages serves mediapush's own layout pages to the remixes' browser; nil in tests.
	pages *remixPages

	ctx    context.Context // cancelled by close
	cancel context.CancelFunc
	kick   chan struct{}
	wg     sync.WaitGroup

	mu      sync.Mutex
	running map[string]bool // conferences being remixed

	// renderJob makes a remix's file and lists it (render; replaced in tests of the queue).
	renderJob func(job *catalog.Remix, dir string, log zerolog.Logger) (catalog.VoD, error)
}

func newRemixer(s *Service, page remix.PageOptions, fps int, dir string, log zerolog.Logger) *remixer {
	ctx, cancel := context.WithCancel(context.Background())
	r := &remixer{s: s, log: log, page: page, fps: fps, dir: dir, ctx: ctx, cancel: cancel,
		kick: make(chan struct{}, 1), running: map[string]bool{}}
	r.renderJob = r.render
	return r
}

// start takes up the remixes a previous process left under way, then renders as they come.
func (r *remixer) start() {
	ids, err := r.s.cat.RequeueRemixes(r.ctx)
	if err != nil {
		r.log.Error().Err(err).Msg("remix: the remixes under way at the last stop could not be requeued")
	}
	for _, id := range ids {
		r.log.Warn().Str("remixId", id).Msg("remix: interrupted by a restart; it is taken up again where it stopped")
	}
	r.wg.Add(1)
	go r.loop()
	r.wake()
}

// wake says the queue may have changed.
func (r *remixer) wake() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// close stops rendering. A remix under way stays IN_PROGRESS, with its work directory: the
// next start takes it up.
func (r *remixer) close() {
	r.cancel()
	r.wg.Wait()
}

func (r *remixer) loop() {
	defer r.wg.Done()
	for {
		select {
		case <-r.ctx.Done():
			return
		case <-r.kick:
		}
		r.dispatch()
	}
}

// dispatch starts the oldest queued remixes while there is room, one per conference.
func (r *remixer) dispatch() {
	queued, err := r.s.cat.RemixesIn(r.ctx, catalog.RemixQueued)
	if err != nil {
		if r.ctx.Err() == nil {
			r.log.Error().Err(err).Msg("remix: reading the queue failed")
		}
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, job := range queued {
		if len(r.running) >= remixesAtOnce {
			return
		}
		if r.running[job.Conference] {
			continue
		}
		r.running[job.Conference] = true
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			r.run(job)
			r.mu.Lock()
			delete(r.running, job.Conference)
			r.mu.Unlock()
			r.wake()
		}()
	}
}

// run renders one remix and records how it ended.
func (r *remixer) run(job catalog.Remix) {
	log := r.log.With().Str("remixId", job.ID).Str("conference", job.Conference).Str("mixId", job.MixID).Logger()
	began := time.Now()
	job.Status, job.StartedAt, job.Error = catalog.RemixInProgress, r.s.now().UnixMilli(), ""
	r.save(job)
	log.Info().Int("progress", job.Progress).Msg("remix: rendering")

	dir := filepath.Join(r.dir, job.ID)
	v, err := r.renderJob(&job, dir, log)
	job.RenderMs += time.Since(began).Milliseconds()
	if r.ctx.Err() != nil {
		// Stopped by close: left IN_PROGRESS with its work, for the next start.
		r.save(job)
		log.Info().Int("progress", job.Progress).Msg("remix: stopped with the node; it resumes at the next start")
		return
	}
	job.EndedAt = r.s.now().UnixMilli()
	if err != nil {
		job.Status, job.Error = catalog.RemixError, err.Error()
		log.Error().Err(err).Msg("remix: failed")
	} else {
		job.Status, job.Progress, job.VodID = catalog.RemixCompleted, 100, v.VodID
		speed := float64(job.DurationMs) / float64(max(job.RenderMs, 1))
		log.Info().Str("vodId", v.VodID).Str("file", v.VodName).Int64("durationMs", job.DurationMs).
			Int64("renderMs", job.RenderMs).Float64("speed", speed).Msg("remix: done")
	}
	r.save(job)
	if err := os.RemoveAll(dir); err != nil {
		log.Warn().Err(err).Msg("remix: its work directory could not be removed")
	}
}

// render makes the remix's file from the raw recording and lists it.
func (r *remixer) render(job *catalog.Remix, dir string, log zerolog.Logger) (catalog.VoD, error) {
	ctx := r.ctx
	source, err := r.s.cat.GetVoD(ctx, job.RawVoD)
	if errors.Is(err, catalog.ErrNotFound) {
		return catalog.VoD{}, errors.New("the raw recording was deleted before the remix ran")
	}
	if err != nil {
		return catalog.VoD{}, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return catalog.VoD{}, err
	}
	m, src, err := r.s.remixSource(ctx, source, dir)
	if err != nil {
		return catalog.VoD{}, err
	}
	stage := time.Now()
	speakers, err := remix.Speakers(ctx, m, src)
	if err != nil {
		return catalog.VoD{}, err
	}
	scenes, err := remix.Plan(m, speakers)
	if err != nil {
		return catalog.VoD{}, err
	}
	var frames []remix.Frame
	if job.Format != "mp3" { // sound alone needs no page
		page := r.page
		page.URL, page.Width, page.Height, page.Dir = job.LayoutURL, job.Width, job.Height, filepath.Join(dir, "frames")
		if strings.HasPrefix(job.LayoutURL, "/") && r.pages != nil { // mediapush's own page
			page.URL = r.pages.url(job.LayoutURL)
		}
		page.Log = log
		if err := os.MkdirAll(page.Dir, 0o700); err != nil {
			return catalog.VoD{}, err
		}
		if frames, err = remix.LayoutFrames(ctx, page, scenes); err != nil {
			return catalog.VoD{}, err
		}
		if scenes, frames, err = remix.MergeSame(scenes, frames); err != nil {
			return catalog.VoD{}, err
		}
	}
	log.Info().Int("scenes", len(scenes)).Int("speakerChanges", len(speakers)).Dur("took", time.Since(stage)).
		Msg("remix: the speakers found and the scenes laid out")
	job.Progress = max(job.Progress, remixProgressPageShare)
	r.save(*job)
	stage = time.Now()

	name := remixName(*job)
	out := filepath.Join(r.s.streamsDir, name)
	err = remix.Render(ctx, remix.RenderOptions{
		Manifest: m, SourceDir: src, Scenes: scenes, Frames: frames,
		Width: job.Width, Height: job.Height, FPS: r.fps, Format: job.Format,
		WorkDir: filepath.Join(dir, "render"), Out: out,
		Progress: func(done, total int64) {
			p := remixProgressPageShare + int(float64(100-remixProgressPageShare)*float64(done)/float64(max(total, 1)))
			if p := min(p, 99); p > job.Progress {
				job.Progress = p
				r.save(*job)
			}
		},
	})
	if err != nil {
		return catalog.VoD{}, err
	}
	st, err := os.Stat(out)
	if err != nil {
		return catalog.VoD{}, err
	}
	log.Info().Str("file", name).Dur("took", time.Since(stage)).Msg("remix: composited and mixed")
	if existing, err := r.s.cat.GetVoDByName(ctx, name); err == nil {
		return existing, nil // listed before a restart interrupted the remix's last step
	}
	return r.s.addRemix(context.WithoutCancel(ctx), *job, m, speakers, name, st.Size(), remixReport(*job, r.fps))
}

// save writes a remix's state; a remix's state is what its callers poll.
func (r *remixer) save(job catalog.Remix) {
	if err := r.s.cat.PutRemix(context.Background(), job); err != nil {
		r.log.Error().Err(err).Str("remixId", job.ID).Msg("remix: saving its state failed")
	}
}

// remixReport is a remix's quality report before measuring: what it was asked to be.
func remixReport(job catalog.Remix, fps int) json.RawMessage {
	rep := quality.Report{Problems: []string{}, WallMs: job.DurationMs}
	if job.Format != "mp3" {
		rep.RequestedWidth, rep.RequestedHeight, rep.RequestedFPS = job.Width, job.Height, float64(fps)
	}
	out, _ := json.Marshal(rep)
	return out
}
