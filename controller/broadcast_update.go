package controller

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"mediapush/catalog"
)

// BroadcastUpdate is the body of Ant Media's PUT broadcasts/{id}: the fields mediapush keeps.
// A field left out keeps its value.
type BroadcastUpdate struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
	// MetaData is a string, as in Ant Media: often a JSON document (Circle's isRecording,
	// a participant's mic and camera state).
	MetaData *string `json:"metaData"`
}

// maxMetaData bounds a stream's metaData.
const maxMetaData = 16 << 10

// UpdateBroadcast stores the name, description and metaData of a stream. Any valid stream id
// may carry them, before, during or after its session or publication, as Ant Media's
// broadcasts exist before they go live.
func (s *Service) UpdateBroadcast(ctx context.Context, streamID string, u BroadcastUpdate) error {
	if err := validStreamID(streamID); err != nil {
		return badRequest(err)
	}
	m, err := s.cat.GetMeta(ctx, streamID)
	if err != nil && !errors.Is(err, catalog.ErrNotFound) {
		return err
	}
	if u.Name != nil {
		if err := checkName(*u.Name); err != nil {
			return badRequest(err)
		}
		m.Name = *u.Name
	}
	if u.Description != nil {
		if len(*u.Description) > 4096 {
			return badRequest(errors.New("description is longer than 4096 bytes"))
		}
		m.Description = *u.Description
	}
	if u.MetaData != nil {
		if len(*u.MetaData) > maxMetaData {
			return badRequest(fmt.Errorf("metaData is longer than %d bytes", maxMetaData))
		}
		m.MetaData = *u.MetaData
	}
	return s.cat.PutMeta(ctx, m)
}

// withMeta lays what was set with UpdateBroadcast over a broadcast. A room's metaData keeps
// its isRecording, which follows the room's recording whatever was set.
func (s *Service) withMeta(ctx context.Context, b catalog.Broadcast, room bool) catalog.Broadcast {
	m, err := s.cat.GetMeta(ctx, b.StreamID)
	if err != nil {
		return b
	}
	if m.Name != "" {
		b.Name = m.Name
	}
	b.Description = m.Description
	if m.MetaData == "" {
		return b
	}
	if !room {
		b.MetaData = m.MetaData
		return b
	}
	var set, computed map[string]any
	if json.Unmarshal([]byte(m.MetaData), &set) != nil || set == nil || json.Unmarshal([]byte(b.MetaData), &computed) != nil {
		return b // not an object: isRecording cannot be carried in it
	}
	set["isRecording"] = computed["isRecording"]
	merged, _ := json.Marshal(set)
	b.MetaData = string(merged)
	return b
}
