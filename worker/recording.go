package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"mediapush/internal/recname"
	"mediapush/media"
	"mediapush/output"
	"mediapush/recorder"
	"mediapush/storage"
)

// recording is a file being written: an incremental Matroska file in recording/ that survives
// a crash, and beside it a sidecar saying what it is, so that a later process can finish it.
type recording struct {
	partial string
	meta    sidecar
	writer  *recorder.Writer
	// spool, when the worker has a spool dir, copies the file to shared storage as it grows.
	spool *spooler
}

type sidecar struct {
	StreamID string `json:"streamId"`
	// Formats are the files to make of it (mp4, webm, mp3); those not made yet, after a failure.
	Formats   []recorder.Format `json:"formats"`
	StartedAt time.Time         `json:"startedAt"`
	Base      string            `json:"base"` // the files' name without extension, in streams/
}

func (w *Worker) newRecording(streamID string, formats []recorder.Format, started time.Time, video media.Track, audio *media.Track) (*recording, error) {
	dataDir := w.cfg.DataDir
	started = started.UTC()
	base := recname.Format(streamID, started)
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
	if w.cfg.SpoolDir != "" {
		if r.spool, err = startSpool(w.cfg.SpoolDir, r.partial, r.meta, w.cfg.SpoolInterval, w.cfg.Log); err != nil {
			r.writer.Close()
			os.Remove(r.partial)
			os.Remove(r.partial + ".json")
			return nil, err
		}
	}
	return r, nil
}

func (m sidecar) save(partial string) error { return m.write(partial + ".json") }

// write stores the sidecar at path.
func (m sidecar) write(path string) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, b, 0o640); err != nil {
		return fmt.Errorf("recording: %w", err)
	}
	return nil
}

func (m sidecar) encode(w io.Writer) error { return json.NewEncoder(w).Encode(m) }

// sidecarName is what a sidecar's base name and stream id may hold: they name files in
// streams/, so nothing that leaves it.
var sidecarName = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,200}$`)

// readSidecar reads the sidecar at path; one that does not parse, or whose names would lead
// out of streams/, is refused whole.
func readSidecar(path string) (sidecar, error) {
	var m sidecar
	b, err := os.ReadFile(path)
	if err != nil {
		return sidecar{}, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return sidecar{}, err
	}
	if !sidecarName.MatchString(m.Base) || !sidecarName.MatchString(m.StreamID) || strings.Contains(m.Base, "..") {
		return sidecar{}, fmt.Errorf("the sidecar names %q, %q: not plain file names", m.StreamID, m.Base)
	}
	return m, nil
}

// finish closes the incremental file and turns it into the deliverables in streamsDir.
func (r *recording) finish(ctx context.Context, log zerolog.Logger, streamsDir string, partial bool) ([]Recording, error) {
	if err := r.close(log); err != nil {
		return nil, err
	}
	return r.deliver(ctx, streamsDir, partial)
}

// close ends the incremental file: nothing is written to it after this.
func (r *recording) close(log zerolog.Logger) error {
	if err := r.writer.Close(); err != nil {
		if r.spool != nil {
			r.spool.close(false)
		}
		return err
	}
	st := r.writer.Stats()
	log.Debug().Int64("video", st.VideoFrames).Int64("audio", st.AudioFrames).Int64("dropped", st.Dropped).Msg("recording closed")
	return nil
}

// deliver makes the closed file's deliverables in streamsDir.
func (r *recording) deliver(ctx context.Context, streamsDir string, partial bool) ([]Recording, error) {
	recs, err := finishFile(ctx, r.partial, r.meta, streamsDir, partial)
	if r.spool != nil {
		// The spooled copy is only dropped once every file is made from the local one.
		r.spool.close(err == nil)
	}
	return recs, err
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
		if errors.Is(err, recorder.ErrNoMedia) {
			continue // stopped on its first frame: nothing to keep, nothing lost
		}
		if err != nil {
			left = append(left, f)
			errs = append(errs, fmt.Errorf("%s: %w", f, err))
			continue
		}
		recs = append(recs, Recording{StreamID: meta.StreamID, Format: f, Key: filepath.Base(dst), StartedAt: meta.StartedAt,
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
	dir, name := filepath.Split(path)
	for n := 2; ; n++ {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return path
		}
		path = filepath.Join(dir, recname.Taken(name, n))
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
		} else if w.cfg.SpoolDir != "" {
			removeSpooled(w.cfg.SpoolDir, filepath.Base(src)) // saved from the local copy
		}
		for _, rec := range saved {
			w.cfg.Log.Info().Str("streamId", rec.StreamID).Str("file", rec.Key).
				Dur("duration", rec.Duration).Msg("recovered a recording cut short by a crash")
		}
		recs = append(recs, saved...)
	}
	hls, err := w.recoverHLS(ctx)
	return append(recs, hls...), errors.Join(append(errs, err)...)
}

func recoverOne(ctx context.Context, metaPath, src, streamsDir string) ([]Recording, error) {
	meta, err := readSidecar(metaPath)
	if err != nil {
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

// hlsMark is the note, in recording/, that an HLS recording is being made: the next start
// after a crash finishes what it names.
func hlsMark(dataDir, name string) string {
	return filepath.Join(dataDir, "recording", name+".hls.json")
}

// markHLS notes that the HLS recording name of streamID is being made.
func markHLS(dataDir, streamID, name string, started time.Time) error {
	return sidecar{StreamID: streamID, Formats: []recorder.Format{recorder.HLS}, StartedAt: started, Base: name}.
		write(hlsMark(dataDir, name))
}

// recoverHLS finishes the HLS recordings a previous process was making when it died: their
// segments are whole files, so the playlist gets its end (if ffmpeg did not write it) and is
// saved as a partial recording.
func (w *Worker) recoverHLS(ctx context.Context) ([]Recording, error) {
	marks, err := filepath.Glob(filepath.Join(w.cfg.DataDir, "recording", "*.hls.json"))
	if err != nil {
		return nil, err
	}
	var recs []Recording
	var errs []error
	for _, m := range marks {
		meta, err := readSidecar(m)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", filepath.Base(m), err))
			continue
		}
		p := filepath.Join(w.StreamsDir(), recname.PlaylistName(meta.Base))
		rec, err := endPlaylist(ctx, p)
		if err != nil {
			os.Remove(m) // nothing was segmented before the crash, or it cannot be read
			errs = append(errs, fmt.Errorf("%s: %w", filepath.Base(p), err))
			continue
		}
		rec.StreamID, rec.StartedAt, rec.Partial = meta.StreamID, meta.StartedAt, true
		recs = append(recs, rec)
		os.Remove(m)
		w.cfg.Log.Info().Str("streamId", meta.StreamID).Str("file", rec.Key).Int("segments", len(rec.Segments)).
			Dur("duration", rec.Duration).Msg("recovered an HLS recording cut short by a crash")
	}
	return recs, errors.Join(errs...)
}

// endPlaylist gives an HLS playlist its end, if it has none, and its last segment the duration
// of its media, and describes it: its key and the keys of the segments it lists.
func endPlaylist(ctx context.Context, p string) (Recording, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return Recording{}, err
	}
	if !strings.Contains(string(b), "#EXT-X-ENDLIST") {
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
		if err == nil {
			_, err = f.WriteString("#EXT-X-ENDLIST\n")
			err = errors.Join(err, f.Close())
		}
		if err != nil {
			return Recording{}, err
		}
	}
	if err := output.TimeLastSegment(ctx, p); err != nil {
		return Recording{}, err
	}
	dur, err := recorder.Duration(ctx, p)
	if err != nil {
		return Recording{}, err
	}
	b, err = os.ReadFile(p)
	if err != nil {
		return Recording{}, err
	}
	key := filepath.Base(p)
	segments := playlistSegments(strings.TrimSuffix(key, recname.Playlist), b)
	// Its size is the playlist's and its segments'.
	var size int64
	for _, f := range append(segments, key) {
		if st, err := os.Stat(filepath.Join(filepath.Dir(p), f)); err == nil {
			size += st.Size()
		}
	}
	return Recording{Format: recorder.HLS, Key: key, Segments: segments, Duration: dur, Size: size}, nil
}

// playlistSegments are the segment files the playlist of the HLS recording stem lists: its
// init segment (EXT-X-MAP) and media segments, in order. Only names of that recording's own
// files count: the keys go out in events and name files that are uploaded and deleted.
func playlistSegments(stem string, playlist []byte) []string {
	var out []string
	for _, line := range strings.Split(string(playlist), "\n") {
		line = strings.TrimSpace(line)
		if uri, ok := strings.CutPrefix(line, `#EXT-X-MAP:URI="`); ok {
			line, _, _ = strings.Cut(uri, `"`)
		}
		if line == "" || strings.HasPrefix(line, "#") || slices.Contains(out, line) {
			continue
		}
		if storage.CheckKey(line) == nil && recname.IsHLSFile(stem, line) {
			out = append(out, line)
		}
	}
	return out
}
