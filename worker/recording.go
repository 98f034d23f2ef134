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
	StreamID  string          `json:"streamId"`
	Format    recorder.Format `json:"format"`
	StartedAt time.Time       `json:"startedAt"`
	FileName  string          `json:"fileName"` // in streams/
}

func newRecording(dataDir, streamID string, f recorder.Format, video media.Track, audio *media.Track) (*recording, error) {
	started := time.Now().UTC()
	base := streamID + "-" + started.Format("20060102-150405")
	r := &recording{
		partial: filepath.Join(dataDir, "recording", base+".mkv"),
		meta:    sidecar{StreamID: streamID, Format: f, StartedAt: started, FileName: base + "." + string(f)},
	}
	meta, err := json.Marshal(r.meta)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(r.partial+".json", meta, 0o640); err != nil {
		return nil, fmt.Errorf("recording: %w", err)
	}
	r.writer, err = recorder.Create(r.partial, video, audio)
	if err != nil {
		os.Remove(r.partial + ".json")
		return nil, err
	}
	return r, nil
}

// finish closes the incremental file and turns it into the deliverable in streamsDir.
func (r *recording) finish(ctx context.Context, log zerolog.Logger, streamsDir string, partial bool) (Recording, error) {
	if err := r.writer.Close(); err != nil {
		return Recording{}, err
	}
	st := r.writer.Stats()
	log.Debug().Int64("video", st.VideoFrames).Int64("audio", st.AudioFrames).Int64("dropped", st.Dropped).Msg("recording closed")
	return finishFile(ctx, r.partial, r.meta, streamsDir, partial)
}

func finishFile(ctx context.Context, src string, meta sidecar, streamsDir string, partial bool) (Recording, error) {
	dst := freeName(filepath.Join(streamsDir, meta.FileName))
	info, err := recorder.Finalize(ctx, src, dst, meta.Format)
	if err != nil {
		return Recording{}, err
	}
	os.Remove(src)
	os.Remove(src + ".json")
	return Recording{StreamID: meta.StreamID, Format: meta.Format, Path: dst, StartedAt: meta.StartedAt,
		Duration: info.Duration, Size: info.Size, Partial: partial}, nil
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
		rec, err := recoverOne(ctx, m, src, w.StreamsDir())
		if err != nil {
			errs = append(errs, fmt.Errorf("recover %s: %w", filepath.Base(src), err))
			continue
		}
		w.cfg.Log.Info().Str("streamId", rec.StreamID).Str("file", rec.Path).
			Dur("duration", rec.Duration).Msg("recovered a recording cut short by a crash")
		recs = append(recs, rec)
	}
	return recs, errors.Join(errs...)
}

func recoverOne(ctx context.Context, metaPath, src, streamsDir string) (Recording, error) {
	b, err := os.ReadFile(metaPath)
	if err != nil {
		return Recording{}, err
	}
	var meta sidecar
	if err := json.Unmarshal(b, &meta); err != nil {
		return Recording{}, err
	}
	if _, err := os.Stat(src); errors.Is(err, os.ErrNotExist) {
		os.Remove(metaPath) // the crash came before the first frame: nothing to save
		return Recording{}, errors.New("no media was written")
	}
	if err := recorder.Repair(src); err != nil {
		return Recording{}, err
	}
	return finishFile(ctx, src, meta, streamsDir, true)
}
