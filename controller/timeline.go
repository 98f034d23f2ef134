package controller

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"mediapush/catalog"
	"mediapush/internal/recname"
	"mediapush/rooms"
	"mediapush/signalling"
	"mediapush/timeline"
	"mediapush/worker"
)

// timelines follow the rooms being recorded: one log per recording session (a room's
// composite, a Dolby mix of a conference, whose id is the room's), fed by the conference
// server (joins, leaves, screen shares), the SDK's signalling (microphone and camera notices),
// the sessions' events (start and end signals, restarts) and the recording toggle. Each
// recording the session makes gets its timeline from the log.
type timelines struct {
	now func() time.Time
	hub *rooms.Hub

	mu       sync.Mutex
	byStream map[string]*roomLog
}

// roomLog is the log of one recording session.
type roomLog struct {
	room    string
	log     *timeline.Log
	started bool // the session was ACTIVE: a later ACTIVE is a restart
}

func newTimelines(hub *rooms.Hub, now func() time.Time) *timelines {
	t := &timelines{now: now, hub: hub, byStream: map[string]*roomLog{}}
	if hub != nil {
		hub.Watch(t.onStream)
	}
	return t
}

// begin starts the log of the session streamID recording room, with who is in the room now.
// A session of that id logged already keeps its log: created says whether this call made one.
func (t *timelines) begin(streamID, room string) (created bool) {
	if t == nil || room == "" {
		return false
	}
	t.mu.Lock()
	if t.byStream[streamID] != nil {
		t.mu.Unlock()
		return false
	}
	rl := &roomLog{room: room, log: timeline.NewLog(t.now)}
	t.byStream[streamID] = rl
	t.mu.Unlock()
	if t.hub != nil {
		for _, p := range t.hub.Participants(room) {
			if p.Kind == rooms.KindWHIP {
				rl.log.Add(streamNote(p, true, p.Since))
			}
		}
	}
	return true
}

// end drops the log of streamID: its session is over and its recordings have their timelines.
func (t *timelines) end(streamID string) {
	if t == nil {
		return
	}
	t.mu.Lock()
	delete(t.byStream, streamID)
	t.mu.Unlock()
}

func (t *timelines) get(streamID string) *roomLog {
	if t == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.byStream[streamID]
}

// logsOf are the logs of the sessions recording room.
func (t *timelines) logsOf(room string) []*timeline.Log {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []*timeline.Log
	for _, rl := range t.byStream {
		if rl.room == room {
			out = append(out, rl.log)
		}
	}
	return out
}

// note adds n to the log of streamID, if it has one.
func (t *timelines) note(streamID string, n timeline.Note) {
	if rl := t.get(streamID); rl != nil {
		rl.log.Add(n)
	}
}

// onStream hears of the conference server's publications: a participant's join or leave, a
// screen share's start or end.
func (t *timelines) onStream(info rooms.StreamInfo, started bool) {
	if info.Room == "" {
		return
	}
	for _, l := range t.logsOf(info.Room) {
		l.Add(streamNote(info, started, time.Time{}))
	}
}

func streamNote(info rooms.StreamInfo, started bool, at time.Time) timeline.Note {
	kind := timeline.Join
	switch {
	case info.ScreenShare && started:
		kind = timeline.ScreenShareStart
	case info.ScreenShare:
		kind = timeline.ScreenShareStop
	case !started:
		kind = timeline.Leave
	}
	return timeline.Note{Kind: kind, At: at, StreamID: info.ID, Name: info.Name, Presenter: info.Presenter}
}

// noticeKinds are the SDK's notices as timeline events.
var noticeKinds = map[string]timeline.Kind{
	"MIC_MUTED": timeline.AudioMuted, "MIC_UNMUTED": timeline.AudioUnmuted,
	"CAM_TURNED_OFF": timeline.VideoOff, "CAM_TURNED_ON": timeline.VideoOn,
}

// onNotice hears of an SDK participant's microphone or camera.
func (t *timelines) onNotice(n signalling.Notice) {
	kind, ok := noticeKinds[n.Event]
	if !ok || n.Room == "" {
		return
	}
	for _, l := range t.logsOf(n.Room) {
		l.Add(timeline.Note{Kind: kind, StreamID: n.StreamID})
	}
}

// signalKinds are the page's signals as timeline events.
var signalKinds = map[worker.EventKind]timeline.Kind{
	worker.PageStarted: timeline.StartSignal, worker.PageEnded: timeline.EndSignal, worker.SpeakerChanged: timeline.ActiveSpeaker,
}

// onEvent notes what a session's events say: its page's start and end signals and active
// speakers, each dated when the worker saw it; a restart after a crash (the gap's reason).
func (t *timelines) onEvent(ev worker.Event) {
	rl := t.get(ev.StreamID)
	if rl == nil {
		return
	}
	if kind, ok := signalKinds[ev.Kind]; ok {
		rl.log.Add(timeline.Note{Kind: kind, At: ev.At, StreamID: ev.Speaker})
		return
	}
	if ev.Kind != worker.StateChange || ev.State != worker.Active {
		return
	}
	t.mu.Lock()
	first := !rl.started
	rl.started = true
	t.mu.Unlock()
	if !first && ev.Reason != "" {
		rl.log.Add(timeline.Note{Kind: timeline.Resumed, At: ev.At, Reason: ev.Reason})
	}
}

// writeTimeline writes the timeline of a room recording beside it in the streams directory
// and returns the two files' keys; ok is false for a recording of no room.
func (s *Service) writeTimeline(rec worker.Recording) (events, chapters string, ok bool, err error) {
	rl := s.timelines.get(rec.StreamID)
	if rl == nil {
		return "", "", false, nil
	}
	span := timeline.Span{Start: rec.StartedAt, Duration: rec.Duration}
	for _, g := range rec.Gaps {
		span.Gaps = append(span.Gaps, timeline.Gap{At: g.At, Duration: g.Duration})
	}
	tl := timeline.Build(rec.Key, rl.log.Notes(), span)
	doc, err := tl.JSON()
	if err != nil {
		return "", "", false, err
	}
	events, chapters = recname.Timeline(rec.Key)
	for name, b := range map[string][]byte{events: doc, chapters: tl.WebVTT()} {
		if err := os.WriteFile(filepath.Join(s.streamsDir, name), b, 0o644); err != nil {
			os.Remove(filepath.Join(s.streamsDir, events))
			os.Remove(filepath.Join(s.streamsDir, chapters))
			return "", "", false, fmt.Errorf("timeline: %w", err)
		}
	}
	return events, chapters, true, nil
}

// timelineInfo is the timeline part of a VoD's info document: its files' keys.
type timelineInfo struct {
	JSON   string `json:"json"`
	WebVTT string `json:"webvtt"`
}

// withTimelineInfo adds the keys of a recording's timeline files to its info document.
func withTimelineInfo(info, events, chapters string) string {
	doc := map[string]any{}
	if info != "" {
		json.Unmarshal([]byte(info), &doc) //nolint:errcheck // our own document
	}
	doc["timeline"] = timelineInfo{JSON: events, WebVTT: chapters}
	b, _ := json.Marshal(doc)
	return string(b)
}

// vodTimeline reads the keys of a VoD's timeline files from its info; ok is false for a VoD
// without a timeline.
func vodTimeline(v catalog.VoD) (timelineInfo, bool) {
	var info struct {
		Timeline *timelineInfo `json:"timeline"`
	}
	if v.Info == "" || json.Unmarshal([]byte(v.Info), &info) != nil || info.Timeline == nil {
		return timelineInfo{}, false
	}
	return *info.Timeline, info.Timeline.JSON != "" && info.Timeline.WebVTT != ""
}

// WithTimelines gives each VoD of a room recording the URLs of its timeline files, as its
// application app serves them: relative unless a public URL is set, signed when downloads
// must be.
func (s *Service) WithTimelines(app string, vods []catalog.VoD) {
	for i := range vods {
		keys, ok := vodTimeline(vods[i])
		if !ok {
			continue
		}
		vods[i].Timeline = &catalog.VoDTimeline{JSON: s.fileURL(app, keys.JSON), WebVTT: s.fileURL(app, keys.WebVTT)}
	}
}

// fileURL is where application app serves a stored file.
func (s *Service) fileURL(app, file string) string {
	d := s.delivery
	u := d.base + "/" + url.PathEscape(app) + "/streams/" + url.PathEscape(file)
	if d.required && d.signer != nil {
		u += "?" + d.signer.Sign(streamPath(file), time.Now().Add(d.ttl))
	}
	return u
}
