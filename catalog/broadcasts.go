package catalog

import (
	"context"
	"database/sql"
	"errors"
)

// Broadcast is a stream as Ant Media's REST API shows it, plus the session's lifecycle state.
type Broadcast struct {
	StreamID string `json:"streamId"`
	// Status is Ant Media's: created, broadcasting or finished.
	Status string `json:"status"`
	// State is the session's: STARTING, ACTIVE, ENDING, COMPLETE, FAILED or ABORTED.
	State string `json:"state"`
	Name  string `json:"name"`
	// Description is what a caller set with PUT broadcasts/{id}.
	Description string `json:"description,omitempty"`
	URL         string `json:"url"`
	Width       int    `json:"width"`
	Height      int    `json:"height"`
	RecordType  string `json:"recordType,omitempty"`
	StartTime   int64  `json:"startTime"` // Unix milliseconds
	EndTime     int64  `json:"endTime,omitempty"`
	// Reason says why the session failed or was aborted, or why it runs as a new part.
	Reason string `json:"reason,omitempty"`
	// Parts and Gaps count, once the session's browser crashed and it went on in a fresh one,
	// the parts its recording is made of and the gaps between them.
	Parts int    `json:"parts,omitempty"`
	Gaps  int    `json:"gaps,omitempty"`
	Type  string `json:"type"`
	// The fields of a room and its participants, filled from the live conference server.
	// MetaData is a JSON document in a string, as in Ant Media (a room's carries isRecording).
	MetaData          string   `json:"metaData,omitempty"`
	SubTrackStreamIDs []string `json:"subTrackStreamIds,omitempty"`
	MainTrackStreamID string   `json:"mainTrackStreamId,omitempty"`
	// WorkerID is the worker node running the session, in cluster mode (not stored: known
	// while it runs).
	WorkerID string `json:"workerId,omitempty"`
	// EndPointList are a running session's pushes, as Ant Media lists them.
	EndPointList []Endpoint `json:"endPointList,omitempty"`
	// Kind is the session's job kind (worker.JobKind: mediapush, room, mix, mix-rtmp) and
	// Room, Conference and MixID what it records: the job's fields, kept for what comes after
	// it. Not part of Ant Media's broadcast.
	Kind       string `json:"-"`
	Room       string `json:"-"`
	Conference string `json:"-"`
	MixID      string `json:"-"`
}

// Endpoint is a push of a broadcast to another server.
type Endpoint struct {
	EndpointServiceID string `json:"endpointServiceId"`
	// EndpointURL is the target, its stream key hidden; RTMPURL is the same, by the name
	// Ant Media 2.x gave it.
	EndpointURL string `json:"endpointUrl"`
	RTMPURL     string `json:"rtmpUrl"`
	// Type is generic for RTMP, whip for a WHIP push.
	Type     string `json:"type"`
	Status   string `json:"status"`
	Restarts int    `json:"restarts"`
	Error    string `json:"error,omitempty"`
}

// Ant Media's broadcast statuses.
const (
	StatusCreated      = "created"
	StatusBroadcasting = "broadcasting"
	StatusFinished     = "finished"
)

// PutBroadcast creates or replaces the broadcast of b.StreamID.
func (c *Catalog) PutBroadcast(ctx context.Context, b Broadcast) error {
	_, err := c.db.ExecContext(ctx, `INSERT INTO broadcasts
		(stream_id, status, state, url, width, height, record_type, start_time, end_time, reason, updated,
		kind, room, conference, mix_id, parts, gaps)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, strftime('%s','now'), ?, ?, ?, ?, ?, ?)
		ON CONFLICT(stream_id) DO UPDATE SET status=excluded.status, state=excluded.state, url=excluded.url,
		width=excluded.width, height=excluded.height, record_type=excluded.record_type,
		start_time=excluded.start_time, end_time=excluded.end_time, reason=excluded.reason, updated=excluded.updated,
		kind=excluded.kind, room=excluded.room, conference=excluded.conference, mix_id=excluded.mix_id,
		parts=excluded.parts, gaps=excluded.gaps`,
		b.StreamID, b.Status, b.State, b.URL, b.Width, b.Height, b.RecordType, b.StartTime, b.EndTime, b.Reason,
		kindOrPush(b.Kind), b.Room, b.Conference, b.MixID, b.Parts, b.Gaps)
	return err
}

// SetParts records how many parts a session's recording has, and gaps between them.
func (c *Catalog) SetParts(ctx context.Context, streamID string, parts, gaps int) error {
	res, err := c.db.ExecContext(ctx, `UPDATE broadcasts SET parts=?, gaps=?, updated=strftime('%s','now')
		WHERE stream_id=?`, parts, gaps, streamID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// UpdateState records a session's new state (and reason) on its broadcast.
func (c *Catalog) UpdateState(ctx context.Context, streamID, status, state, reason string, endTime int64) error {
	res, err := c.db.ExecContext(ctx, `UPDATE broadcasts SET status=?, state=?, reason=?, end_time=?,
		updated=strftime('%s','now') WHERE stream_id=?`, status, state, reason, endTime, streamID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// kindOrPush is a broadcast's kind as stored: a session made without one is a media push.
func kindOrPush(kind string) string {
	if kind == "" {
		return KindPush
	}
	return kind
}

// KindPush is the kind of a broadcast of a start call's page.
const KindPush = "mediapush"

const broadcastColumns = `stream_id, status, state, url, width, height, record_type, start_time, end_time, reason,
	kind, room, conference, mix_id, parts, gaps`

func scanBroadcast(row interface{ Scan(...any) error }) (Broadcast, error) {
	var b Broadcast
	err := row.Scan(&b.StreamID, &b.Status, &b.State, &b.URL, &b.Width, &b.Height, &b.RecordType,
		&b.StartTime, &b.EndTime, &b.Reason, &b.Kind, &b.Room, &b.Conference, &b.MixID, &b.Parts, &b.Gaps)
	b.Name, b.Type = b.StreamID, "liveStream"
	return b, err
}

// GetBroadcast returns the broadcast of streamID.
func (c *Catalog) GetBroadcast(ctx context.Context, streamID string) (Broadcast, error) {
	b, err := scanBroadcast(c.db.QueryRowContext(ctx, `SELECT `+broadcastColumns+` FROM broadcasts WHERE stream_id=?`, streamID))
	if errors.Is(err, sql.ErrNoRows) {
		return b, ErrNotFound
	}
	return b, err
}

// ListBroadcasts returns size broadcasts from offset, newest first.
func (c *Catalog) ListBroadcasts(ctx context.Context, offset, size int) ([]Broadcast, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT `+broadcastColumns+` FROM broadcasts
		ORDER BY start_time DESC, stream_id LIMIT ? OFFSET ?`, size, offset)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Broadcast{}
	for rows.Next() {
		b, err := scanBroadcast(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// FailUnfinished marks every broadcast still in a running state as FAILED with reason: the
// process that ran them is gone. It returns their stream ids.
func (c *Catalog) FailUnfinished(ctx context.Context, reason string, endTime int64) ([]string, error) {
	return c.streamIDs(ctx, `UPDATE broadcasts SET status=?, state='FAILED', reason=?, end_time=?
		WHERE state IN ('STARTING','ACTIVE','ENDING') RETURNING stream_id`, StatusFinished, reason, endTime)
}

// FailUnfinishedExcept is FailUnfinished but for the stream ids in running: sessions that a
// worker node still runs after the controller restarted.
func (c *Catalog) FailUnfinishedExcept(ctx context.Context, reason string, endTime int64, running []string) ([]string, error) {
	ids, err := c.streamIDs(ctx, `SELECT stream_id FROM broadcasts WHERE state IN ('STARTING','ACTIVE','ENDING')`)
	if err != nil {
		return nil, err
	}
	keep := make(map[string]bool, len(running))
	for _, id := range running {
		keep[id] = true
	}
	var failed []string
	for _, id := range ids {
		if keep[id] {
			continue
		}
		res, err := c.db.ExecContext(ctx, `UPDATE broadcasts SET status=?, state='FAILED', reason=?, end_time=?
			WHERE stream_id=? AND state IN ('STARTING','ACTIVE','ENDING')`, StatusFinished, reason, endTime, id)
		if err != nil {
			return failed, err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			failed = append(failed, id)
		}
	}
	return failed, nil
}

// streamIDs runs a query that yields stream ids.
func (c *Catalog) streamIDs(ctx context.Context, q string, args ...any) ([]string, error) {
	rows, err := c.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// RunningMixes lists the stream ids of a conference's mixes of kind (mix or mix-rtmp) whose
// sessions are running.
func (c *Catalog) RunningMixes(ctx context.Context, conference, kind string) ([]string, error) {
	return c.streamIDs(ctx, `SELECT stream_id FROM broadcasts
		WHERE conference=? AND kind=? AND state IN ('STARTING','ACTIVE') ORDER BY stream_id`, conference, kind)
}
