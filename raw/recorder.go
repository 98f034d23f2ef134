package raw

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"mediapush/internal/recname"
	"mediapush/rooms"
	"mediapush/timeline"
)

// Mode says which rooms are recorded raw.
type Mode string

// The modes.
const (
	// Always records every room from its first participant until its last leaves.
	Always Mode = "always"
	// WithRecording records a room while it is recorded (its composite, a mix): the default.
	WithRecording Mode = "withRecording"
	// Off records no room raw.
	Off Mode = "off"
)

// DefaultMode is the mode when none is set.
const DefaultMode = WithRecording

// ParseMode reads a mode; "" is the default.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case "":
		return DefaultMode, nil
	case Always, WithRecording, Off:
		return m, nil
	}
	return "", fmt.Errorf("raw recording mode %q is not known: use always, withRecording or off", s)
}

// alwaysHolder holds a room's raw recording in Always mode while it has participants.
const alwaysHolder = ""

// Config says what a Recorder records and where.
type Config struct {
	Hub  *rooms.Hub
	Mode Mode
	// WorkDir holds the recordings being made; StreamsDir receives the finished ones.
	WorkDir, StreamsDir string
	// OnDone is told of each finished raw recording (also those Recover closes).
	OnDone func(Done)
	// Now is the clock; default time.Now.
	Now func() time.Time
	Log zerolog.Logger
}

// Done is a finished raw recording, its files in the streams directory.
type Done struct {
	Manifest Manifest
	// Key is the manifest's storage key; Files are the publications' keys, then Key.
	Key   string
	Files []string
	Size  int64
}

// Duration is how long the recording lasted.
func (d Done) Duration() time.Duration {
	if d.Manifest.EndedMs == nil {
		return 0
	}
	return time.Duration(*d.Manifest.EndedMs) * time.Millisecond
}

// Recorder keeps the raw recordings of rooms.
type Recorder struct {
	cfg Config

	mu       sync.Mutex
	sessions map[string]*session // by room
	wg       sync.WaitGroup
}

// session is one raw recording of a room.
type session struct {
	room, stem string
	mf         *manifestFile
	holders    map[string]bool // the recordings of the room that need it
	open       map[string]*publication
	all        int // publications so far
	// leaving counts the publications whose files are being finished apart from the session's end.
	leaving sync.WaitGroup
}

// New makes a recorder; it watches the hub's publications.
func New(cfg Config) (*Recorder, error) {
	if cfg.Mode == "" {
		cfg.Mode = DefaultMode
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.OnDone == nil {
		cfg.OnDone = func(Done) {}
	}
	if err := os.MkdirAll(cfg.WorkDir, 0o750); err != nil {
		return nil, fmt.Errorf("raw recording: %w", err)
	}
	r := &Recorder{cfg: cfg, sessions: map[string]*session{}}
	if cfg.Hub != nil && cfg.Mode != Off {
		cfg.Hub.Watch(r.onStream)
	}
	return r, nil
}

// Hold records room raw for the recording by (its session's stream id) until Release; a raw
// recording of the room already going on is shared. It tells whether by became a holder: not
// when it held the room already, or nothing is recorded raw.
func (r *Recorder) Hold(room, by string) bool {
	if r == nil || r.cfg.Mode == Off || room == "" {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if s := r.sessions[room]; s != nil {
		if s.holders[by] {
			return false
		}
		s.holders[by] = true
		return true
	}
	return r.beginLocked(room, by) != nil
}

// Release says the recording by no longer needs the raw recording it holds: that ends when
// nothing else holds it. A recording that holds none is ignored.
func (r *Recorder) Release(by string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	var ending []*session
	for _, s := range r.sessions {
		if s.holders[by] {
			delete(s.holders, by)
			if r.endingLocked(s) {
				ending = append(ending, s)
			}
		}
	}
	r.mu.Unlock()
	for _, s := range ending {
		r.finishLater(s)
	}
}

// endingLocked tells whether s ends now: nobody holds it, and in Always mode its room is empty.
func (r *Recorder) endingLocked(s *session) bool {
	if len(s.holders) > 0 || (r.cfg.Mode == Always && len(s.open) > 0) {
		return false
	}
	delete(r.sessions, s.room)
	return true
}

// beginLocked starts the raw recording of room with whoever is in it now.
func (r *Recorder) beginLocked(room, by string) *session {
	now := r.cfg.Now()
	stem := recname.Raw(room, now)
	path := filepath.Join(r.cfg.WorkDir, recname.RawManifest(stem))
	mf, err := newManifestFile(path, room, stem, r.cfg.Now)
	if err != nil {
		r.cfg.Log.Error().Err(err).Str("room", room).Msg("raw recording: cannot begin")
		return nil
	}
	s := &session{room: room, stem: stem, mf: mf, holders: map[string]bool{by: true}, open: map[string]*publication{}}
	r.sessions[room] = s
	r.cfg.Log.Info().Str("room", room).Str("recording", stem).Msg("raw recording of the room begins")
	if r.cfg.Hub != nil {
		for _, p := range r.cfg.Hub.Participants(room) {
			r.addLocked(s, p)
		}
	}
	return s
}

func (r *Recorder) onStream(info rooms.StreamInfo, started bool) {
	if info.Room == "" || info.Kind != rooms.KindWHIP {
		return
	}
	r.mu.Lock()
	s := r.sessions[info.Room]
	if started {
		if s == nil && r.cfg.Mode == Always {
			s = r.beginLocked(info.Room, alwaysHolder) // with this participant
		} else if s != nil {
			r.addLocked(s, info)
		}
		r.mu.Unlock()
		return
	}
	var p *publication
	ending := false
	if s != nil {
		if p = s.open[info.ID]; p != nil {
			delete(s.open, info.ID)
			s.leaving.Add(1)
		}
		if info.ScreenShare {
			r.noteLocked(s, info.Presenter, timeline.ScreenShareStop)
		}
		if r.cfg.Mode == Always && len(s.open) == 0 {
			delete(s.holders, alwaysHolder)
			ending = r.endingLocked(s)
		}
	}
	r.mu.Unlock()
	if p != nil {
		// The publisher's goroutine tells of its end: finish the file elsewhere.
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			r.leave(s, p)
			s.leaving.Done()
			if ending {
				r.finish(s)
			}
		}()
	} else if ending {
		r.finishLater(s)
	}
}

// addLocked starts recording a publication of s's room.
func (r *Recorder) addLocked(s *session, info rooms.StreamInfo) {
	if s.open[info.ID] != nil || r.cfg.Hub == nil {
		return
	}
	st, ok := r.cfg.Hub.Stream(info.ID)
	if !ok {
		return
	}
	kind, ext := Camera, ".mkv"
	switch {
	case info.Video == "":
		kind, ext = AudioOnly, ".ogg"
	case info.ScreenShare:
		kind = Screen
	}
	n := s.all + 1
	file := recname.RawTrack(s.stem, n, ext)
	pub := Publication{StreamID: info.ID, Name: info.Name, Kind: kind, Presenter: info.Presenter, File: file,
		Video: info.Video, Audio: info.Audio, JoinedMs: s.mf.clock()}
	if err := s.mf.update(func(m *Manifest) { m.Publications = append(m.Publications, pub) }); err != nil {
		r.cfg.Log.Error().Err(err).Str("room", s.room).Msg("raw recording: the manifest could not be written")
	}
	s.all = n
	p, err := startPublication(st, n, filepath.Join(r.cfg.WorkDir, file), s.mf, r.cfg.Log)
	if err != nil {
		r.cfg.Log.Error().Err(err).Str("room", s.room).Str("participant", info.ID).Msg("raw recording: cannot record the publication")
		s.mf.publication(n, func(p *Publication) { p.File, p.LeftMs = "", ms(p.JoinedMs) }) //nolint:errcheck // logged on the next write
		return
	}
	s.open[info.ID] = p
	if info.ScreenShare {
		r.noteLocked(s, info.Presenter, timeline.ScreenShareStart)
	}
	r.cfg.Log.Info().Str("room", s.room).Str("participant", info.ID).Str("file", file).Msg("raw recording of a publication begins")
}

// Notice notes what a participant of room did (muted, unmuted…) in the raw recording's
// manifest, if the room is recorded raw.
func (r *Recorder) Notice(room, streamID string, kind timeline.Kind) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if s := r.sessions[room]; s != nil {
		r.noteLocked(s, streamID, kind)
	}
}

// noteLocked adds an event to the open publication streamID of s, if there is one.
func (r *Recorder) noteLocked(s *session, streamID string, kind timeline.Kind) {
	p := s.open[streamID]
	if p == nil {
		return
	}
	at := s.mf.clock()
	if err := s.mf.publication(p.n, func(pub *Publication) {
		pub.Events = append(pub.Events, Event{Kind: kind, AtMs: at})
	}); err != nil {
		r.cfg.Log.Error().Err(err).Str("room", s.room).Msg("raw recording: the manifest could not be written")
	}
}

// leave finishes one publication's file and notes its leave.
func (r *Recorder) leave(s *session, p *publication) {
	hasMedia, err := p.finish()
	left := s.mf.clock()
	if err != nil {
		r.cfg.Log.Error().Err(err).Str("file", p.path).Msg("raw recording: the publication's file did not close cleanly")
	}
	s.mf.publication(p.n, func(pub *Publication) { //nolint:errcheck // a failed write shows in the next
		pub.LeftMs = ms(left)
		if !hasMedia {
			pub.File = ""
		}
	})
}

func (r *Recorder) finishLater(s *session) {
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.finish(s)
	}()
}

// finish ends s: its open publications leave, and the files and the manifest move to the
// streams directory.
func (r *Recorder) finish(s *session) {
	r.mu.Lock()
	open := s.open
	s.open = map[string]*publication{}
	r.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range open {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.leave(s, p)
		}()
	}
	wg.Wait()
	s.leaving.Wait()
	ended := s.mf.clock()
	s.mf.update(func(m *Manifest) { m.EndedMs = ms(ended) }) //nolint:errcheck // the move writes it again
	done, err := r.deliver(s.mf.path, s.mf.snapshot())
	if err != nil {
		r.cfg.Log.Error().Err(err).Str("room", s.room).Str("recording", s.stem).Msg("raw recording: could not be saved; its files stay in the recording directory")
		return
	}
	r.cfg.Log.Info().Str("room", s.room).Str("recording", done.Key).Int("publications", len(done.Manifest.Publications)).Msg("raw recording saved")
	r.cfg.OnDone(done)
}

// deliver moves a closed recording's files, then its manifest, from the work directory to
// the streams directory; a kill between leaves the manifest to Recover, which finds the
// files moved already.
func (r *Recorder) deliver(workManifest string, m Manifest) (Done, error) {
	d := Done{Manifest: m, Key: recname.RawManifest(m.ID)}
	for _, p := range m.Publications {
		if p.File == "" {
			continue
		}
		dst := filepath.Join(r.cfg.StreamsDir, p.File)
		if err := os.Rename(filepath.Join(r.cfg.WorkDir, p.File), dst); err != nil && !errors.Is(err, os.ErrNotExist) {
			return d, err
		}
		st, err := os.Stat(dst)
		if err != nil {
			return d, err
		}
		d.Files = append(d.Files, p.File)
		d.Size += st.Size()
	}
	if err := writeManifest(filepath.Join(r.cfg.StreamsDir, d.Key), m); err != nil {
		return d, err
	}
	d.Files = append(d.Files, d.Key)
	os.Remove(workManifest)
	return d, nil
}

// Close ends every raw recording and waits for their files.
func (r *Recorder) Close() {
	if r == nil {
		return
	}
	r.mu.Lock()
	var ending []*session
	for room, s := range r.sessions {
		ending = append(ending, s)
		delete(r.sessions, room)
	}
	r.mu.Unlock()
	for _, s := range ending {
		r.finishLater(s)
	}
	r.wg.Wait()
}
