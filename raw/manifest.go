package raw

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"mediapush/timeline"
)

// ManifestVersion is the version of the manifest's shape.
const ManifestVersion = 1

// Kinds of publication.
const (
	Camera    = "camera"
	Screen    = "screen"
	AudioOnly = "audio-only"
)

// Manifest describes one raw recording of a room. Times in it are milliseconds on the room's
// clock: from StartedAt, measured by a monotonic clock (a change of the wall clock during the
// recording moves nothing).
type Manifest struct {
	Version int    `json:"version"`
	Room    string `json:"room"`
	// ID is the recording's stem (recname.Raw): its files are named after it.
	ID string `json:"id"`
	// StartedAt is the wall time of the room clock's 0.
	StartedAt time.Time `json:"startedAt"`
	// EndedMs is when the recording ended; nil while it goes on.
	EndedMs *int64 `json:"endedMs,omitempty"`
	// Interrupted says the process died while recording: ends are the files' last writes.
	Interrupted  bool          `json:"interrupted,omitempty"`
	Publications []Publication `json:"publications"`
}

// Publication is one participant publication (one join of a camera or a screen share).
type Publication struct {
	StreamID string `json:"streamId"`
	Name     string `json:"name,omitempty"`
	// Kind is Camera, Screen or AudioOnly.
	Kind string `json:"kind"`
	// Presenter is the stream id of a screen sharer's camera.
	Presenter string `json:"presenter,omitempty"`
	// File is the storage key of the publication's media (recname.RawTrack).
	File string `json:"file"`
	// Video and Audio are the codecs as relayed; empty for a track it lacks.
	Video string `json:"video,omitempty"`
	Audio string `json:"audio,omitempty"`
	// Width and Height are the picture size of the first keyframe.
	Width  int `json:"width,omitempty"`
	Height int `json:"height,omitempty"`
	// JoinedMs is when recording the publication began; LeftMs when it ended (nil while
	// it goes on).
	JoinedMs int64  `json:"joinedMs"`
	LeftMs   *int64 `json:"leftMs,omitempty"`
	// MediaStartMs is where the file's time 0 falls on the room's clock (its first keyframe);
	// nil until the file has media.
	MediaStartMs *int64 `json:"mediaStartMs,omitempty"`
	// Events are what the participant did meanwhile: muted and unmuted its microphone,
	// turned its camera off and on.
	Events []Event `json:"events,omitempty"`
}

// Event is a timeline event of a publication.
type Event struct {
	Kind timeline.Kind `json:"kind"`
	AtMs int64         `json:"atMs"`
}

// manifestFile is a manifest being kept on disk: every change is written to a temporary
// file and renamed over the last, so a kill leaves the previous or the new one whole.
type manifestFile struct {
	path  string
	now   func() time.Time
	start time.Time // StartedAt with its monotonic reading

	mu sync.Mutex
	m  Manifest
}

func newManifestFile(path, room, id string, now func() time.Time) (*manifestFile, error) {
	start := now()
	f := &manifestFile{path: path, now: now, start: start,
		m: Manifest{Version: ManifestVersion, Room: room, ID: id, StartedAt: start.UTC().Round(0), Publications: []Publication{}}}
	return f, f.save()
}

// since is t on the room's clock.
func (f *manifestFile) since(t time.Time) int64 { return t.Sub(f.start).Milliseconds() }

// clock is now on the room's clock.
func (f *manifestFile) clock() int64 { return f.since(f.now()) }

// update changes the manifest with change and writes it.
func (f *manifestFile) update(change func(m *Manifest)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(&f.m)
	return f.saveLocked()
}

// publication changes the publication numbered n (from 1) and writes the manifest.
func (f *manifestFile) publication(n int, change func(p *Publication)) error {
	return f.update(func(m *Manifest) {
		if n >= 1 && n <= len(m.Publications) {
			change(&m.Publications[n-1])
		}
	})
}

// snapshot is a copy of the manifest as it stands.
func (f *manifestFile) snapshot() Manifest {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, _ := json.Marshal(f.m)
	var m Manifest
	json.Unmarshal(b, &m) //nolint:errcheck // it was just marshalled
	return m
}

func (f *manifestFile) save() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.saveLocked()
}

func (f *manifestFile) saveLocked() error { return writeManifest(f.path, f.m) }

// writeManifest writes m to path atomically: a temporary file beside it, synced, renamed.
func writeManifest(path string, m Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("raw recording manifest: %w", err)
	}
	_, err = tmp.Write(append(b, '\n'))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("raw recording manifest: %w", err)
	}
	return nil
}

// ReadManifest reads a manifest written by a raw recording.
func ReadManifest(path string) (Manifest, error) {
	var m Manifest
	b, err := os.ReadFile(path)
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("raw recording manifest %s: %w", filepath.Base(path), err)
	}
	if m.Version != ManifestVersion {
		return m, fmt.Errorf("raw recording manifest %s: version %d is not known", filepath.Base(path), m.Version)
	}
	return m, nil
}

func ms(v int64) *int64 { return &v }
