package raw

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"time"

	"mediapush/internal/recname"
	"mediapush/recorder"
)

// Recover closes the raw recordings a previous process was making when it died: each
// publication's file is repaired (cut after its last whole block), a publication still open
// leaves when its file was last written, the recording ends with its last leave, and it is
// delivered as finished (marked interrupted). A manifest that cannot be read stays in the
// work directory.
func (r *Recorder) Recover() {
	if r == nil {
		return
	}
	metas, _ := filepath.Glob(filepath.Join(r.cfg.WorkDir, "*"+recname.RawManifestExt))
	for _, path := range metas {
		m, err := ReadManifest(path)
		if err != nil {
			r.cfg.Log.Error().Err(err).Str("file", path).Msg("raw recording: an interrupted recording cannot be read; it is kept")
			continue
		}
		closeInterrupted(&m, r.cfg.WorkDir, r.cfg.StreamsDir)
		done, err := r.deliver(path, m)
		if err != nil {
			r.cfg.Log.Error().Err(err).Str("recording", m.ID).Msg("raw recording: an interrupted recording could not be saved; its files stay in the recording directory")
			continue
		}
		r.cfg.Log.Info().Str("room", m.Room).Str("recording", done.Key).Int("publications", len(m.Publications)).
			Msg("recovered a raw recording cut short by a crash")
		r.cfg.OnDone(done)
	}
}

// closeInterrupted repairs the files of m, found in workDir (or in streamsDir, where a kill
// during delivery left them), and sets the leaves and end that the dead process did not.
func closeInterrupted(m *Manifest, workDir, streamsDir string) {
	var last int64
	for i := range m.Publications {
		p := &m.Publications[i]
		last = max(last, p.JoinedMs)
		if p.File != "" {
			path := filepath.Join(workDir, p.File)
			if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
				path = filepath.Join(streamsDir, p.File)
			}
			lastWrite, ok := repairFile(path)
			if !ok {
				os.Remove(path)
				p.File = ""
			} else if p.MediaStartMs == nil {
				// The kill came between the first keyframe and the manifest's note of it.
				p.MediaStartMs = ms(p.JoinedMs)
			}
			if p.LeftMs == nil && ok {
				p.LeftMs = ms(max(p.JoinedMs, lastWrite.Sub(m.StartedAt).Milliseconds()))
			}
		}
		if p.LeftMs == nil {
			p.LeftMs = ms(p.JoinedMs)
		}
		last = max(last, *p.LeftMs)
	}
	if m.EndedMs == nil {
		m.EndedMs, m.Interrupted = ms(last), true
	}
}

// repairFile makes a publication's file whole and tells when it was last written; ok is
// false for a file with nothing to keep.
func repairFile(path string) (lastWrite time.Time, ok bool) {
	st, err := os.Stat(path)
	if err != nil || st.Size() == 0 {
		return time.Time{}, false
	}
	lastWrite = st.ModTime()
	if strings.HasSuffix(path, ".mkv") {
		if err := recorder.Repair(path); err != nil {
			return time.Time{}, false
		}
	}
	return lastWrite, true
}
