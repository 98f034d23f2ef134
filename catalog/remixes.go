package catalog

import (
	"context"
	"database/sql"
	"errors"
)

// States of a remix, as Dolby's remix status names them (QUEUED is ours: Dolby runs one
// remix of a conference at a time and refuses the next).
const (
	RemixQueued     = "QUEUED"
	RemixInProgress = "IN_PROGRESS"
	RemixCompleted  = "COMPLETED"
	RemixError      = "ERROR"
)

// Remix is one rendering of a room's raw recording through a layout page into a new
// recording. It is kept here so that a restart finds the remixes queued or under way and
// takes them up again.
type Remix struct {
	ID string `json:"remixId"`
	// Conference is the room whose raw recording is rendered.
	Conference string `json:"conferenceId"`
	// RawVoD is the raw recording's VoD id.
	RawVoD string `json:"rawVodId"`
	MixID  string `json:"mixId"`
	// LayoutURL is the page as the caller gave it; what is shown of it is redacted.
	LayoutURL string `json:"layoutUrl"`
	Width     int    `json:"width"`
	Height    int    `json:"height"`
	// Format is mp4 or mp3.
	Format string `json:"format"`
	// Status is one of the Remix* states.
	Status string `json:"status"`
	// Progress is how much is rendered, in percent.
	Progress int `json:"progress"`
	// Error says why a remix failed.
	Error string `json:"error,omitempty"`
	// VodID is the recording made, once COMPLETED.
	VodID string `json:"vodId,omitempty"`
	// DurationMs is the raw recording's length, which is the remix's.
	DurationMs int64 `json:"durationMs"`
	// Unix milliseconds: when it was asked for, began rendering (last, after a restart) and ended.
	CreatedAt int64 `json:"createdAt"`
	StartedAt int64 `json:"startedAt,omitempty"`
	EndedAt   int64 `json:"endedAt,omitempty"`
	// RenderMs is the time spent rendering, across restarts: DurationMs / RenderMs is the speed
	// as a multiple of real time.
	RenderMs int64 `json:"renderMs,omitempty"`
}

const remixSchema = `CREATE TABLE IF NOT EXISTS remixes (
	id          TEXT PRIMARY KEY,
	conference  TEXT NOT NULL,
	raw_vod     TEXT NOT NULL,
	mix_id      TEXT NOT NULL,
	layout_url  TEXT NOT NULL,
	width       INTEGER NOT NULL,
	height      INTEGER NOT NULL,
	format      TEXT NOT NULL,
	status      TEXT NOT NULL,
	progress    INTEGER NOT NULL,
	error       TEXT NOT NULL,
	vod_id      TEXT NOT NULL,
	duration_ms INTEGER NOT NULL,
	created_at  INTEGER NOT NULL,
	started_at  INTEGER NOT NULL,
	ended_at    INTEGER NOT NULL,
	render_ms   INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS remixes_by_conference ON remixes(conference, created_at);
CREATE INDEX IF NOT EXISTS remixes_by_status ON remixes(status, created_at)`

const remixColumns = `id, conference, raw_vod, mix_id, layout_url, width, height, format, status, progress, error,
	vod_id, duration_ms, created_at, started_at, ended_at, render_ms`

// PutRemix stores r, replacing the remix of the same id.
func (c *Catalog) PutRemix(ctx context.Context, r Remix) error {
	_, err := c.db.ExecContext(ctx, `INSERT OR REPLACE INTO remixes (`+remixColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.Conference, r.RawVoD, r.MixID, r.LayoutURL, r.Width, r.Height, r.Format, r.Status, r.Progress, r.Error,
		r.VodID, r.DurationMs, r.CreatedAt, r.StartedAt, r.EndedAt, r.RenderMs)
	return err
}

// GetRemix returns the remix of id, or ErrNotFound.
func (c *Catalog) GetRemix(ctx context.Context, id string) (Remix, error) {
	list, err := c.queryRemixes(ctx, `WHERE id=?`, id)
	if err != nil {
		return Remix{}, err
	}
	if len(list) == 0 {
		return Remix{}, ErrNotFound
	}
	return list[0], nil
}

// Remixes lists a conference's remixes ("": every conference's), the newest first, at most limit.
func (c *Catalog) Remixes(ctx context.Context, conference string, limit int) ([]Remix, error) {
	if conference == "" {
		return c.queryRemixes(ctx, `ORDER BY created_at DESC, id LIMIT ?`, limit)
	}
	return c.queryRemixes(ctx, `WHERE conference=? ORDER BY created_at DESC, id LIMIT ?`, conference, limit)
}

// RemixesIn lists the remixes in status, the oldest first.
func (c *Catalog) RemixesIn(ctx context.Context, status string) ([]Remix, error) {
	return c.queryRemixes(ctx, `WHERE status=? ORDER BY created_at, id`, status)
}

// RequeueRemixes puts the remixes a stopped process left IN_PROGRESS back in the queue, and
// returns their ids.
func (c *Catalog) RequeueRemixes(ctx context.Context) ([]string, error) {
	list, err := c.RemixesIn(ctx, RemixInProgress)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(list))
	for _, r := range list {
		if _, err := c.db.ExecContext(ctx, `UPDATE remixes SET status=? WHERE id=? AND status=?`, RemixQueued, r.ID, RemixInProgress); err != nil {
			return ids, err
		}
		ids = append(ids, r.ID)
	}
	return ids, nil
}

func (c *Catalog) queryRemixes(ctx context.Context, where string, args ...any) ([]Remix, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT `+remixColumns+` FROM remixes `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	list := []Remix{}
	for rows.Next() {
		var r Remix
		if err := rows.Scan(&r.ID, &r.Conference, &r.RawVoD, &r.MixID, &r.LayoutURL, &r.Width, &r.Height, &r.Format,
			&r.Status, &r.Progress, &r.Error, &r.VodID, &r.DurationMs, &r.CreatedAt, &r.StartedAt, &r.EndedAt, &r.RenderMs); err != nil {
			return nil, err
		}
		list = append(list, r)
	}
	if err := rows.Err(); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	return list, nil
}
