// Package controller is mediapush's control plane: the one service that every front door
// (the Ant Media REST surface today) calls to start, stop and drive sessions, and the catalog
// of broadcasts and recordings it keeps from the workers' events.
package controller

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"mediapush/catalog"
	"mediapush/internal/destination"
	"mediapush/internal/recname"
	"mediapush/internal/redact"
	"mediapush/legs"
	"mediapush/raw"
	"mediapush/recorder"
	"mediapush/rooms"
	"mediapush/storage"
	"mediapush/worker"
)

// Runner runs sessions: the controller's only view of a worker. Its calls carry plain data,
// so a runner on another machine can stand behind it.
type Runner interface {
	Start(ctx context.Context, job worker.Job) error
	Stop(ctx context.Context, streamID string) (worker.Event, error)
	Command(ctx context.Context, streamID, js string) (string, error)
	SetRecording(ctx context.Context, streamID string, on bool, formats []recorder.Format) ([]worker.Recording, error)
	AddEndpoint(streamID, id, target, token string) (string, error)
	RemoveEndpoint(ctx context.Context, streamID, id string) error
	Endpoints(streamID string) ([]worker.Endpoint, error)
}

// Service implements the operations of the API.
type Service struct {
	cat    *catalog.Catalog
	runner Runner
	// nodeOf names the worker node running a stream, in cluster mode.
	nodeOf     func(streamID string) string
	hub        *rooms.Hub
	legs       *legs.Recorder
	raw        *raw.Recorder
	roomURL    string // the page template of room recordings
	streamsDir string
	delivery   delivery
	// measurer measures finished recordings before they are delivered; nil when they are not.
	measurer  *measurer
	policy    *destination.Policy // where sessions and pushes may connect; nil judges nothing
	now       func() time.Time    // the clock recordings are dated by (and retention reads)
	log       zerolog.Logger
	roomHooks roomHooks
	pending   pendingPushes // endpoints added before their session
	vodIDs    vodIDs        // the VoD ids the recording toggle handed out
	timelines *timelines    // what happens in the rooms being recorded
	remixer   *remixer      // renders raw recordings anew; nil where remixes cannot run
}

// Error is a failure the caller can act on; Code is the HTTP status that fits it.
type Error struct {
	Code    int
	Message string
	// RetryAfter, when set, is sent as Retry-After with a 503 or 429: when trying again may work.
	RetryAfter time.Duration
}

func (e *Error) Error() string { return e.Message }

func badRequest(err error) error { return &Error{Code: 400, Message: err.Error()} }

func notFound(format string, a ...any) error {
	return &Error{Code: 404, Message: fmt.Sprintf(format, a...)}
}

// StartPush validates req, records the broadcast and starts the session. It returns once the
// page's first video frame has arrived, with the stream id.
func (s *Service) StartPush(ctx context.Context, streamID string, req StartRequest) (string, error) {
	if err := checkNotReserved(streamID); err != nil {
		return "", badRequest(err)
	}
	return s.startPush(ctx, streamID, req, purpose{kind: worker.KindPush})
}

// purpose is what a session is for, written into its job by whoever makes it: the stream id
// is only a name, and nothing reads a kind, room or mix back from it.
type purpose struct {
	kind                    worker.JobKind
	room, conference, mixID string
}

func (p purpose) apply(job *worker.Job) {
	job.Kind, job.Room, job.Conference, job.MixID = p.kind, p.room, p.conference, p.mixID
}

// startPush starts a session for p under any valid id, the reserved ones included: room
// recordings and Dolby mixes come through here.
func (s *Service) startPush(ctx context.Context, streamID string, req StartRequest, p purpose) (string, error) {
	if streamID == "" {
		streamID = newStreamID()
	}
	job, err := NewJob(streamID, req)
	if err != nil {
		return "", badRequest(err)
	}
	p.apply(&job)
	room := p.room
	if p.kind == worker.KindMix {
		room = p.conference // a conference's participants are those of the room of its id
	}
	logged := (p.kind == worker.KindRoom || p.kind == worker.KindMix) && s.timelines.begin(streamID, room)
	// The raw recording begins with the request, before the page loads; the session's end
	// releases it.
	held := (p.kind == worker.KindRoom || p.kind == worker.KindMix) && s.raw.Hold(room, streamID)
	err = s.run(ctx, job)
	if err != nil && logged {
		s.timelines.end(streamID)
	}
	if err != nil && held {
		s.raw.Release(streamID)
	}
	return streamID, err
}

// run starts a validated job. Its page and pushes are judged first: a refused one fails the
// start before a browser is launched.
func (s *Service) run(ctx context.Context, job worker.Job) error {
	if err := s.checkDestination(ctx, "the page", job.URL); err != nil {
		return startFailed(job.StreamID, err)
	}
	for _, target := range job.Endpoints {
		if err := s.checkDestination(ctx, pushTarget(target), target); err != nil {
			return startFailed(job.StreamID, err)
		}
	}
	err := s.runner.Start(ctx, job)
	if le, ok := limitError(err, false); ok {
		return le
	}
	switch {
	case errors.Is(err, worker.ErrExists):
		return &Error{Code: 409, Message: fmt.Sprintf("Session with the same streamId: %s already exists. Please stop it first", job.StreamID)}
	case err != nil:
		return &Error{Code: 422, Message: fmt.Sprintf("stream %s could not start: %v", job.StreamID, err)}
	}
	return nil
}

// StopPush ends a session; when it returns, its recording is finished and listed.
func (s *Service) StopPush(ctx context.Context, streamID string) error {
	if streamID == "" {
		return badRequest(errors.New("streamId is mandatory"))
	}
	// A room's raw recording ends with the stop call, not once the session's files are done.
	s.raw.Release(streamID)
	_, err := s.runner.Stop(ctx, streamID)
	switch {
	case errors.Is(err, worker.ErrNotFound):
		return notFound("Driver does not exist for stream id: %s", streamID)
	case err != nil:
		return &Error{Code: 500, Message: fmt.Sprintf("stream %s ended with an error: %v", streamID, err)}
	}
	return nil
}

// SendCommand runs js in the page of a running session and returns its value as text.
func (s *Service) SendCommand(ctx context.Context, streamID, js string) (string, error) {
	if streamID == "" {
		return "", badRequest(errors.New("streamId query parameter is mandatory."))
	}
	if js == "" {
		return "", badRequest(errors.New("jsCommand is mandatory."))
	}
	out, err := s.runner.Command(ctx, streamID, js)
	switch {
	case errors.Is(err, worker.ErrNotFound):
		return "", notFound("Driver does not exist for stream id: %s", streamID)
	case err != nil:
		return "", &Error{Code: 422, Message: err.Error()}
	}
	return out, nil
}

// OnEvent keeps the catalog in step with the workers' sessions.
func (s *Service) OnEvent(ev worker.Event) {
	ctx := context.Background()
	// A reason may quote the page's URL, whose query can hold a token (a room recording's).
	ev.Reason = redact.Text(ev.Reason)
	log := s.log.With().Str("streamId", ev.StreamID).Logger()
	s.timelines.onEvent(ev)
	if ev.Kind != worker.StateChange {
		return // a page's signal: the timeline's alone
	}
	var err error
	switch ev.State {
	case worker.Starting:
		if ev.Job != nil {
			err = s.recordStart(ctx, ev.Job.Public())
		}
		s.startPending(ev.StreamID)
	case worker.Active:
		// A session started again after a crash says so ("…; continuing as part 2").
		err = s.cat.UpdateState(ctx, ev.StreamID, catalog.StatusBroadcasting, string(ev.State), ev.Reason, 0)
	case worker.Ending:
		err = s.cat.UpdateState(ctx, ev.StreamID, catalog.StatusBroadcasting, string(ev.State), ev.Reason, 0)
	default: // final
		err = s.cat.UpdateState(ctx, ev.StreamID, catalog.StatusFinished, string(ev.State), ev.Reason, ev.At.UnixMilli())
	}
	if err == nil && ev.Parts > 0 {
		err = s.cat.SetParts(ctx, ev.StreamID, ev.Parts, ev.Gaps)
	}
	if err != nil {
		log.Error().Err(err).Str("state", string(ev.State)).Msg("catalog: recording the state failed")
	}
	if len(ev.Recordings) == 0 || ev.State.Final() {
		s.stateEvent(ctx, ev)
	}
	for _, rec := range ev.Recordings {
		s.addVoD(ctx, rec)
	}
	if ev.State.Final() {
		s.vodIDs.take(ev.StreamID) // a recording turned on that never got a frame
		s.timelines.end(ev.StreamID)
		s.raw.Release(ev.StreamID)
	}
	if room := s.roomOf(ctx, ev); room != "" {
		if ev.State.Final() {
			s.legs.Stop(ctx, room) // however the room's recording ended
		}
		if len(ev.Recordings) == 0 || ev.State.Final() {
			s.roomRecordingChanged(room)
		}
	}
}

// addLeg lists a participant's recorded audio.
func (s *Service) addLeg(l legs.Leg) {
	ctx := context.Background()
	info, _ := json.Marshal(l)
	name := l.Key
	if err := storage.CheckKey(name); err != nil {
		s.log.Error().Err(err).Str("participant", l.StreamID).Msg("catalog: the participant's audio is not named by a key")
		return
	}
	v := catalog.VoD{
		VodID: uuid.NewString(), VodName: name, StreamID: l.StreamID, StreamName: l.Name,
		FilePath: "streams/" + name, Type: "streamVod", CreationDate: s.now().UnixMilli(),
		StartTime: l.Joined.UnixMilli(), Duration: l.Duration.Milliseconds(), FileSize: l.Size,
		Format: string(recorder.MP3), Kind: "individual", Storage: "local", Info: string(info),
	}
	s.listPending(&v, legReport(l))
	if err := s.cat.AddVoD(ctx, v); err != nil {
		s.log.Error().Err(err).Str("participant", l.StreamID).Msg("catalog: adding the participant's audio failed")
		return
	}
	s.measureThenDeliver(ctx, v, []string{name})
}

func (s *Service) addVoD(ctx context.Context, rec worker.Recording) {
	name := rec.Key
	if err := storage.CheckKey(name); err != nil {
		s.log.Error().Err(err).Str("streamId", rec.StreamID).Msg("catalog: the recording is not named by a key")
		return
	}
	vodID := uuid.NewString()
	if !rec.Merged {
		if id, ok := s.vodIDs.take(rec.StreamID); ok {
			vodID = id
		}
	}
	v := catalog.VoD{
		VodID: vodID, VodName: name, StreamID: rec.StreamID, StreamName: rec.StreamID,
		FilePath: "streams/" + name, Type: "streamVod", CreationDate: s.now().UnixMilli(),
		StartTime: rec.StartedAt.UnixMilli(), Duration: rec.Duration.Milliseconds(), FileSize: rec.Size, Partial: rec.Partial,
		Format: string(rec.Format), Merged: rec.Merged, Kind: "mix", Storage: "local",
	}
	b, bErr := s.cat.GetBroadcast(ctx, rec.StreamID)
	if bErr == nil && b.MixID != "" {
		v.Conference, v.MixID = b.Conference, b.MixID
	}
	files := s.vodFiles(rec)
	if len(files) > 1 || len(rec.Gaps) > 0 {
		v.Info = vodInfo(files, rec.Gaps)
	}
	if events, chapters, ok, err := s.writeTimeline(rec); err != nil {
		s.log.Error().Err(err).Str("streamId", rec.StreamID).Str("file", name).Msg("the recording's timeline could not be written; it is listed without one")
	} else if ok {
		v.Info = withTimelineInfo(v.Info, events, chapters)
		// Uploaded before the recording's own files: the VoD counts as stored with the last.
		files = append([]string{events, chapters}, files...)
	}
	s.listPending(&v, pendingReport(rec, b, bErr == nil))
	if err := s.cat.AddVoD(ctx, v); err != nil {
		s.log.Error().Err(err).Str("streamId", rec.StreamID).Str("file", name).Msg("catalog: adding the recording failed")
		return
	}
	s.measureThenDeliver(ctx, v, files)
	s.log.Info().Str("streamId", rec.StreamID).Str("vodId", v.VodID).Str("file", name).
		Dur("duration", rec.Duration).Int64("size", rec.Size).Bool("partial", rec.Partial).Msg("recording saved")
}

// recordStart writes the broadcast of a session that is starting, replacing an earlier
// session's under the same stream id.
func (s *Service) recordStart(ctx context.Context, job worker.Job) error {
	formats := make([]string, len(job.Record))
	for i, f := range job.Record {
		formats[i] = string(f)
	}
	rt := strings.Join(formats, ",")
	return s.cat.PutBroadcast(ctx, catalog.Broadcast{
		StreamID: job.StreamID, Status: catalog.StatusCreated, State: string(worker.Starting),
		URL: redact.Text(job.URL), Width: job.Width, Height: job.Height, RecordType: rt, StartTime: time.Now().UnixMilli(),
		Kind: string(job.Of()), Room: job.Room, Conference: job.Conference, MixID: job.MixID,
	})
}

// roomOf is the room whose recording ev is about, or "": the job says so on STARTING, the
// broadcast written from it afterwards.
func (s *Service) roomOf(ctx context.Context, ev worker.Event) string {
	if ev.Job != nil {
		if ev.Job.Of() == worker.KindRoom {
			return ev.Job.Room
		}
		return ""
	}
	b, err := s.cat.GetBroadcast(ctx, ev.StreamID)
	if err != nil || b.Kind != string(worker.KindRoom) {
		return ""
	}
	return b.Room
}

// Broadcast returns a stream's broadcast: a media-push session's, a room's or a live
// participant's, with what was set on it (UpdateBroadcast) and its endpoints.
func (s *Service) Broadcast(ctx context.Context, streamID string) (catalog.Broadcast, error) {
	if b, ok := s.roomBroadcast(ctx, streamID); ok {
		return s.withMeta(ctx, b, true), nil
	}
	b, err := s.cat.GetBroadcast(ctx, streamID)
	if errors.Is(err, catalog.ErrNotFound) {
		if live, ok := s.hub.Stream(streamID); ok {
			return s.withMeta(ctx, liveBroadcast(live.Info()), false), nil
		}
		_, metaErr := s.cat.GetMeta(ctx, streamID)
		eps := s.endpointList(streamID)
		if metaErr != nil && len(eps) == 0 {
			return b, notFound("no broadcast with stream id %s", streamID)
		}
		// Known only by what was set on it before it went live.
		b = catalog.Broadcast{StreamID: streamID, Name: streamID, Status: catalog.StatusCreated, Type: "liveStream", EndPointList: eps}
		return s.withMeta(ctx, b, false), nil
	}
	if err != nil {
		return b, err
	}
	b.EndPointList = s.endpointList(streamID)
	s.withWorker(&b)
	return s.withMeta(ctx, b, false), nil
}

// Broadcasts lists broadcasts, newest first.
func (s *Service) Broadcasts(ctx context.Context, offset, size int) ([]catalog.Broadcast, error) {
	list, err := s.cat.ListBroadcasts(ctx, offset, size)
	for i := range list {
		s.withWorker(&list[i])
	}
	return list, err
}

// withWorker names the worker node running a broadcast's session, in cluster mode.
func (s *Service) withWorker(b *catalog.Broadcast) {
	if s.nodeOf != nil && b.Status != catalog.StatusFinished {
		b.WorkerID = s.nodeOf(b.StreamID)
	}
}

// VoD returns a recording.
func (s *Service) VoD(ctx context.Context, id string) (catalog.VoD, error) {
	v, err := s.cat.GetVoD(ctx, id)
	if errors.Is(err, catalog.ErrNotFound) {
		return v, notFound("no VoD with id %s", id)
	}
	return v, err
}

// FindVoDs lists the recordings q selects, in its order.
func (s *Service) FindVoDs(ctx context.Context, q catalog.VoDQuery) ([]catalog.VoD, error) {
	return s.cat.FindVoDs(ctx, q)
}

// DeleteVoD removes a recording's file and its entry.
func (s *Service) DeleteVoD(ctx context.Context, id string) error {
	v, err := s.cat.DeleteVoD(ctx, id)
	if errors.Is(err, catalog.ErrNotFound) {
		return notFound("no VoD with id %s", id)
	}
	if err != nil {
		return err
	}
	if err := s.removeFiles(ctx, v); err != nil {
		return fmt.Errorf("VoD %s left the catalog but its files stay: %w", id, err)
	}
	s.log.Info().Str("vodId", id).Str("file", v.VodName).Msg("recording deleted")
	return nil
}

// StreamFile is the path of a recording's file, if the name is a file mediapush serves.
// {streamId}.m3u8 is the stream's newest HLS playlist (the live one while it records).
func (s *Service) StreamFile(name string) (string, error) {
	if name == "" || name != filepath.Base(name) || name[0] == '.' {
		return "", notFound("no such file")
	}
	path := filepath.Join(s.streamsDir, name)
	if st, err := os.Stat(path); err == nil && st.Mode().IsRegular() {
		return path, nil
	}
	if id, ok := strings.CutSuffix(name, ".m3u8"); ok && validStreamID(id) == nil {
		if latest := s.latestPlaylist(id); latest != "" {
			return latest, nil
		}
	}
	return "", notFound("no such file: %s", name)
}

// latestPlaylist is the newest HLS playlist of a stream (recname.Format names it).
func (s *Service) latestPlaylist(streamID string) string {
	matches, _ := filepath.Glob(filepath.Join(s.streamsDir, streamID+"-*"+recname.Playlist))
	var latest string
	var began time.Time
	for _, m := range matches {
		id, t, err := recname.Parse(strings.TrimSuffix(filepath.Base(m), recname.Playlist))
		if err == nil && id == streamID && (latest == "" || t.After(began)) {
			latest, began = m, t
		}
	}
	return latest
}

// removeFiles deletes a VoD's files, here and in S3: an HLS recording's playlist and
// segments, or its one file.
func (s *Service) removeFiles(ctx context.Context, v catalog.VoD) error {
	files := vodFileNames(v)
	errs := []error{s.deleteStored(ctx, v, files)}
	for _, f := range files {
		if err := os.Remove(filepath.Join(s.streamsDir, f)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// vodFileNames are a listed VoD's files: an HLS recording's segments and playlist, or its one
// file, and the files of its timeline.
func vodFileNames(v catalog.VoD) []string {
	var info struct {
		Files []string `json:"files"`
	}
	files := []string{v.VodName}
	if json.Unmarshal([]byte(v.Info), &info) == nil && len(info.Files) > 0 {
		files = info.Files
	}
	if tl, ok := vodTimeline(v); ok {
		files = append(files, tl.JSON, tl.WebVTT)
	}
	return files
}

// vodInfo is a recording's info document: its files when it has several (HLS), and the gaps
// in it (a crash's restart, recording toggled off), in milliseconds from the file's start.
func vodInfo(files []string, gaps []worker.Gap) string {
	type gap struct {
		At       int64 `json:"at"`
		Duration int64 `json:"duration"`
	}
	info := struct {
		Files []string `json:"files,omitempty"`
		Gaps  []gap    `json:"gaps,omitempty"`
	}{}
	if len(files) > 1 {
		info.Files = files
	}
	for _, g := range gaps {
		info.Gaps = append(info.Gaps, gap{At: g.At.Milliseconds(), Duration: g.Duration.Milliseconds()})
	}
	b, _ := json.Marshal(info)
	return string(b)
}
