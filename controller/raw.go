package controller

import (
	"context"
	"encoding/json"

	"github.com/google/uuid"

	"mediapush/catalog"
	"mediapush/raw"
	"mediapush/signalling"
	"mediapush/storage"
)

// rawKind is the VoD kind of a room's raw recording: one entry whose file is the manifest,
// and whose info lists the publications' files, so that deleting it (or retention) deletes
// them all, and an upload counts as done when the last of them is stored. It is listed with
// the other VoDs rather than apart: it is kept, stored, downloaded and deleted as they are.
const rawKind = "raw"

// rawInfo is a raw recording's VoD info.
type rawInfo struct {
	Files        []string `json:"files"`
	Room         string   `json:"room"`
	Publications int      `json:"publications"`
}

// addRaw lists a finished raw recording of a room and stores its files.
func (s *Service) addRaw(d raw.Done) {
	ctx := context.Background()
	for _, f := range d.Files {
		if err := storage.CheckKey(f); err != nil {
			s.log.Error().Err(err).Str("room", d.Manifest.Room).Str("file", f).Msg("catalog: a raw recording's file is not named by a key")
			return
		}
	}
	info, _ := json.Marshal(rawInfo{Files: d.Files, Room: d.Manifest.Room, Publications: len(d.Manifest.Publications)})
	v := catalog.VoD{
		VodID: uuid.NewString(), VodName: d.Key, StreamID: d.Manifest.Room, StreamName: d.Manifest.Room,
		FilePath: "streams/" + d.Key, Type: "streamVod", CreationDate: s.now().UnixMilli(),
		StartTime: d.Manifest.StartedAt.UnixMilli(), Duration: d.Duration().Milliseconds(), FileSize: d.Size,
		Partial: d.Manifest.Interrupted, Format: rawKind, Kind: rawKind, Storage: "local", Info: string(info),
	}
	if err := s.cat.AddVoD(ctx, v); err != nil {
		s.log.Error().Err(err).Str("room", d.Manifest.Room).Str("file", d.Key).Msg("catalog: adding the raw recording failed")
		return
	}
	s.deliver(ctx, v, d.Files)
}

// onNotice hears of an SDK participant's microphone or camera: for the timelines of the
// room's recordings and its raw recording's manifest.
func (s *Service) onNotice(n signalling.Notice) {
	s.timelines.onNotice(n)
	if kind, ok := noticeKinds[n.Event]; ok && n.Room != "" {
		s.raw.Notice(n.Room, n.StreamID, kind)
	}
}
