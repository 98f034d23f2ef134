// Package catalog keeps what outlives a session in an embedded SQLite database: each stream's
// Broadcast (its last known state) and each recording (VoD). It survives restarts.
package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver
)

// ErrNotFound is returned for an unknown stream or VoD id.
var ErrNotFound = errors.New("not found")

// Catalog is the database.
type Catalog struct {
	db *sql.DB
}

const schema = `
CREATE TABLE IF NOT EXISTS broadcasts (
	stream_id   TEXT PRIMARY KEY,
	status      TEXT NOT NULL,
	state       TEXT NOT NULL,
	url         TEXT NOT NULL,
	width       INTEGER NOT NULL,
	height      INTEGER NOT NULL,
	record_type TEXT NOT NULL,
	start_time  INTEGER NOT NULL,
	end_time    INTEGER NOT NULL,
	reason      TEXT NOT NULL,
	updated     INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS broadcasts_by_start ON broadcasts(start_time);
CREATE TABLE IF NOT EXISTS vods (
	vod_id        TEXT PRIMARY KEY,
	vod_name      TEXT NOT NULL UNIQUE,
	stream_id     TEXT NOT NULL,
	file_path     TEXT NOT NULL,
	type          TEXT NOT NULL,
	creation_date INTEGER NOT NULL,
	start_time    INTEGER NOT NULL,
	duration      INTEGER NOT NULL,
	file_size     INTEGER NOT NULL,
	partial       INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS vods_by_date ON vods(creation_date);
`

// Open opens or creates the database at path.
func Open(path string) (*Catalog, error) {
	// WAL keeps readers off the writer's back; the busy timeout covers the rest.
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=synchronous(NORMAL)")
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	db.SetMaxOpenConns(1) // one writer; SQLite serialises anyway
	if _, err := db.ExecContext(context.Background(), schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("catalog %s: %w", path, err)
	}
	return &Catalog{db: db}, nil
}

// Close closes the database.
func (c *Catalog) Close() error { return c.db.Close() }
