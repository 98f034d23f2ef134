package catalog

import (
	"context"
	"database/sql"
	"errors"
)

// BroadcastMeta is what a caller set on a stream with Ant Media's PUT broadcasts/{id}: kept
// apart from the sessions' rows so that it outlives them and applies to rooms and live
// participants too.
type BroadcastMeta struct {
	StreamID    string
	Name        string
	Description string
	MetaData    string
}

const metaSchema = `CREATE TABLE IF NOT EXISTS broadcast_meta (
	stream_id   TEXT PRIMARY KEY,
	name        TEXT NOT NULL,
	description TEXT NOT NULL,
	meta_data   TEXT NOT NULL
)`

// PutMeta stores m, replacing what the stream had.
func (c *Catalog) PutMeta(ctx context.Context, m BroadcastMeta) error {
	_, err := c.db.ExecContext(ctx, `INSERT INTO broadcast_meta (stream_id, name, description, meta_data) VALUES (?, ?, ?, ?)
		ON CONFLICT(stream_id) DO UPDATE SET name=excluded.name, description=excluded.description, meta_data=excluded.meta_data`,
		m.StreamID, m.Name, m.Description, m.MetaData)
	return err
}

// GetMeta returns what was set on streamID, or ErrNotFound.
func (c *Catalog) GetMeta(ctx context.Context, streamID string) (BroadcastMeta, error) {
	m := BroadcastMeta{StreamID: streamID}
	err := c.db.QueryRowContext(ctx, `SELECT name, description, meta_data FROM broadcast_meta WHERE stream_id=?`, streamID).
		Scan(&m.Name, &m.Description, &m.MetaData)
	if errors.Is(err, sql.ErrNoRows) {
		return m, ErrNotFound
	}
	return m, err
}
