package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"mediapush/media"
	"mediapush/recorder"
)

// recording is a file being written: an incremental Matroska file in recording/ that survives
// a crash, and beside it a sidecar saying what it is, so that a later process can finish it.
type recording struct {
	partial string
	meta    sidecar
	writer  *recorder.Writer
}

type sidecar struct {
	StreamID string `json:"streamId"`
	// Formats are the files to make of it (mp4, webm, mp3); those not made yet, after a failure.
	Formats   []recorder.Format `json:"formats"`
	StartedAt time.Time         `json:"startedAt"`
	Base      string            `json:"base"` // the files' name without extension, in streams/
}

func newRecording(dataDir, streamID string, formats []recorder.Format, video media.Track, audio *media.Track) (*recording, error) {
	started := time.Now().UTC()
	base := streamID + "-" + started.Format("20060102-150405")
	r := &recording{
		partial: freeName(filepath.Join(dataDir, "recording", base+".mkv")),
		meta:    sidecar{StreamID: streamID, Formats: formats, StartedAt: started, Base: base},
	}
	if err := r.meta.save(r.partial); err != nil {
		return nil, err
	}
	var err error
	r.writer, err = recorder.Create(r.partial, video, audio)
	if err != nil {
		os.Remove(r.partial + ".json")
		return nil, err
	}
	return r, nil
}

func (m sidecar) save(partial string) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if err := os.WriteFile(partial+".json", b, 0o640); err != nil {
		return fmt.Errorf("recording: %w", err)
	}
	return nil
}

// finish closes the incremental file and turns it into the deliverables in streamsDir.
func (r *recording) finish(ctx context.Context, log zerolog.Logger, streamsDir string, partial bool) ([]Recording, error) {
	if err := r.writer.Close(); err != nil {
		return nil, err
	}
	st := r.writer.Stats()
	log.Debug().Int64("video", st.VideoFrames).Int64("audio", st.AudioFrames).Int64("dropped", st.Dropped).Msg("recording closed")
	return finishFile(ctx, r.partial, r.meta, streamsDir, partial)
}

// finishFile makes each format's file from the Matroska file src. The source stays while a
// format could not be made, its sidecar naming only what is left, for the next start to retry.
func finishFile(ctx context.Context, src string, meta sidecar, streamsDir string, partial bool) ([]Recording, error) {
	var recs []Recording
	var left []recorder.Format
	var errs []error
	for _, f := range meta.Formats {
		dst := freeName(filepath.Join(streamsDir, meta.Base+"."+string(f)))
		info, err := recorder.Finalize(ctx, src, dst, f)
		if err != nil {
			left = append(left, f)
			errs = append(errs, fmt.Errorf("%s: %w", f, err))
			continue
		}
		recs = append(recs, Recording{StreamID: meta.StreamID, Format: f, Path: dst, StartedAt: meta.StartedAt,
			Duration: info.Duration, Size: info.Size, Partial: partial})
	}
	if len(left) == 0 {
		os.Remove(src)
		os.Remove(src + ".json")
		return recs, nil
	}
	meta.Formats = left
	if err := meta.save(src); err != nil {
		errs = append(errs, err)
	}
	return recs, errors.Join(errs...)
}

// freeName returns path, or path with _2, _3 … before the extension when it is taken.
func freeName(path string) string {
	ext := filepath.Ext(path)
	stem := strings.TrimSuffix(path, ext)
	for n := 2; ; n++ {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return path
		}
		path = fmt.Sprintf("%s_%d%s", stem, n, ext)
	}
}

// Recover finishes the recordings that a previous process left unfinished when it died, and
// returns them. A file that cannot be saved is left in place and reported in the error.
func (w *Worker) Recover(ctx context.Context) ([]Recording, error) {
	metas, err := filepath.Glob(filepath.Join(w.cfg.DataDir, "recording", "*.mkv.json"))
	if err != nil {
		return nil, err
	}
	var recs []Recording
	var errs []error
	for _, m := range metas {
		src := strings.TrimSuffix(m, ".json")
		saved, err := recoverOne(ctx, m, src, w.StreamsDir())
		if err != nil {
			errs = append(errs, fmt.Errorf("recover %s: %w", filepath.Base(src), err))
		}
		for _, rec := range saved {
			w.cfg.Log.Info().Str("streamId", rec.StreamID).Str("file", rec.Path).
				Dur("duration", rec.Duration).Msg("recovered a recording cut short by a crash")
		}
		recs = append(recs, saved...)
	}
	return recs, errors.Join(errs...)
}

func recoverOne(ctx context.Context, metaPath, src, streamsDir string) ([]Recording, error) {
	b, err := os.ReadFile(metaPath)
	if err != nil {
		return nil, err
	}
	var meta sidecar
	if err := json.Unmarshal(b, &meta); err != nil {
		return nil, err
	}
	if _, err := os.Stat(src); errors.Is(err, os.ErrNotExist) {
		os.Remove(metaPath) // the crash came before the first frame: nothing to save
		return nil, errors.New("no media was written")
	}
	if err := recorder.Repair(src); err != nil {
		return nil, err
	}
	return finishFile(ctx, src, meta, streamsDir, true)
}
