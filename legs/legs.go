// Package legs records each conference participant's own audio, server-side, from the stream
// it publishes: no browser and no mixing. A participant's "call leg" is one join: it becomes
// one MP3 file with the participant's id, name and the times of its join and leave.
package legs

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4/pkg/media/oggwriter"
	"github.com/rs/zerolog"

	"mediapush/internal/ffmpeg"
	"mediapush/internal/recname"
	"mediapush/recorder"
	"mediapush/rooms"
)

// Leg is one participant's recorded audio from one join.
type Leg struct {
	Room     string    `json:"room"`
	StreamID string    `json:"participantId"`
	Name     string    `json:"name"`
	Joined   time.Time `json:"joinedAt"` // when recording of the leg began
	Left     time.Time `json:"leftAt"`
	// Key names the MP3 in the streams store: a flat file name (recname.Leg).
	Key      string `json:"-"`
	Duration time.Duration
	Size     int64
}

// Recorder records the legs of the rooms it is asked to.
type Recorder struct {
	hub     *rooms.Hub
	partDir string // Ogg files being written
	outDir  string // finished MP3s
	onLeg   func(Leg)
	log     zerolog.Logger

	mu    sync.Mutex
	rooms map[string]bool
	open  map[string]*leg // by stream id
	wg    sync.WaitGroup
}

// leg is an Ogg/Opus file being written from a participant's packets.
type leg struct {
	info  Leg
	ogg   string
	mu    sync.Mutex
	w     *oggwriter.OggWriter
	untap func()
}

// New makes a recorder that writes into partDir and delivers MP3s into outDir, handing each
// finished leg to onLeg.
func New(hub *rooms.Hub, partDir, outDir string, onLeg func(Leg), log zerolog.Logger) *Recorder {
	r := &Recorder{hub: hub, partDir: partDir, outDir: outDir, onLeg: onLeg, log: log,
		rooms: map[string]bool{}, open: map[string]*leg{}}
	hub.Watch(r.onStream)
	return r
}

// Start records the audio of everyone in room, now and as they join, until Stop.
func (r *Recorder) Start(room string) {
	r.mu.Lock()
	r.rooms[room] = true
	r.mu.Unlock()
	for _, p := range r.hub.Participants(room) {
		r.begin(p)
	}
}

// Stop ends the recording of room's legs and finishes their files.
func (r *Recorder) Stop(ctx context.Context, room string) {
	r.mu.Lock()
	delete(r.rooms, room)
	var ending []*leg
	for id, l := range r.open {
		if l.info.Room == room {
			ending = append(ending, l)
			delete(r.open, id)
		}
	}
	r.mu.Unlock()
	for _, l := range ending {
		r.finish(ctx, l)
	}
}

// Close finishes every open leg and waits for the files being made.
func (r *Recorder) Close(ctx context.Context) {
	r.mu.Lock()
	var ending []*leg
	for id, l := range r.open {
		ending = append(ending, l)
		delete(r.open, id)
	}
	r.rooms = map[string]bool{}
	r.mu.Unlock()
	for _, l := range ending {
		r.finish(ctx, l)
	}
	r.wg.Wait()
}

func (r *Recorder) onStream(info rooms.StreamInfo, started bool) {
	if started {
		r.begin(info)
		return
	}
	r.mu.Lock()
	l := r.open[info.ID]
	delete(r.open, info.ID)
	r.mu.Unlock()
	if l != nil {
		// The publisher's goroutine tells of its end: finish the file elsewhere.
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			r.finish(ctx, l)
		}()
	}
}

// begin starts a leg for a participant of a recorded room.
func (r *Recorder) begin(p rooms.StreamInfo) {
	if p.Audio == "" || p.Kind != rooms.KindWHIP {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.rooms[p.Room] || r.open[p.ID] != nil {
		return
	}
	s, ok := r.hub.Stream(p.ID)
	if !ok {
		return
	}
	now := time.Now().UTC()
	l := &leg{info: Leg{Room: p.Room, StreamID: p.ID, Name: p.Name, Joined: now},
		ogg: filepath.Join(r.partDir, recname.Leg(p.Room, p.ID, now)+".ogg")}
	meta, _ := json.Marshal(l.info)
	if err := os.WriteFile(l.ogg+".json", meta, 0o640); err != nil {
		r.log.Error().Err(err).Str("participant", p.ID).Msg("cannot record the participant's audio")
		return
	}
	w, err := oggwriter.New(l.ogg, 48000, 2)
	if err != nil {
		os.Remove(l.ogg + ".json")
		r.log.Error().Err(err).Str("participant", p.ID).Msg("cannot record the participant's audio")
		return
	}
	l.w = w
	l.untap = s.TapAudio(l.write)
	r.open[p.ID] = l
	r.log.Info().Str("room", p.Room).Str("participant", p.ID).Msg("recording the participant's audio")
}

func (l *leg) write(p *rtp.Packet) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.w != nil {
		l.w.WriteRTP(p) //nolint:errcheck // a full disk shows when the file is finished
	}
}

// finish closes the leg's Ogg file and makes its MP3.
func (r *Recorder) finish(ctx context.Context, l *leg) {
	l.untap()
	l.mu.Lock()
	err := l.w.Close()
	l.w = nil
	l.mu.Unlock()
	l.info.Left = time.Now().UTC()
	if err == nil {
		err = r.toMP3(ctx, l)
	}
	if err != nil {
		r.log.Error().Err(err).Str("participant", l.info.StreamID).Str("file", l.ogg).
			Msg("the participant's audio could not be finished; the Ogg file is kept")
		return
	}
	r.log.Info().Str("room", l.info.Room).Str("participant", l.info.StreamID).Dur("duration", l.info.Duration).Msg("participant audio saved")
	r.onLeg(l.info)
}

func (r *Recorder) toMP3(ctx context.Context, l *leg) error {
	dst := filepath.Join(r.outDir, strings.TrimSuffix(filepath.Base(l.ogg), ".ogg")+".mp3")
	cmd := ffmpeg.Command(ctx, ffmpeg.FFmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
		"-i", l.ogg, "-c:a", "libmp3lame", "-b:a", "128k", "-f", "mp3", dst)
	if out, err := cmd.CombinedOutput(); err != nil {
		os.Remove(dst)
		return fmt.Errorf("ffmpeg: %v: %s", err, strings.TrimSpace(string(out)))
	}
	st, err := os.Stat(dst)
	if err != nil {
		return err
	}
	l.info.Key, l.info.Size = filepath.Base(dst), st.Size()
	if l.info.Duration, err = recorder.Duration(ctx, dst); err != nil {
		return err
	}
	os.Remove(l.ogg)
	os.Remove(l.ogg + ".json")
	return nil
}

// Recover finishes the legs a previous process was recording when it died: what reached the
// Ogg file is saved as the leg's MP3, with the time of the file's last change as its end.
func (r *Recorder) Recover(ctx context.Context) {
	metas, _ := filepath.Glob(filepath.Join(r.partDir, "*.ogg.json"))
	for _, m := range metas {
		l := &leg{ogg: strings.TrimSuffix(m, ".json")}
		b, err := os.ReadFile(m)
		if err == nil {
			err = json.Unmarshal(b, &l.info)
		}
		st, statErr := os.Stat(l.ogg)
		if err != nil || statErr != nil {
			r.log.Warn().Str("file", m).Msg("an interrupted participant recording has nothing to save")
			os.Remove(m)
			continue
		}
		l.info.Left = st.ModTime().UTC()
		if err := r.toMP3(ctx, l); err != nil {
			r.log.Error().Err(err).Str("file", l.ogg).Msg("an interrupted participant recording could not be saved; it is kept")
			continue
		}
		r.log.Info().Str("participant", l.info.StreamID).Dur("duration", l.info.Duration).Msg("recovered a participant recording cut short by a crash")
		r.onLeg(l.info)
	}
}
