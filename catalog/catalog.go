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

// vodAdditions are the columns added to vods since its first version; Open adds those a
// database made by an earlier version lacks.
var vodAdditions = []struct{ name, def string }{
	{"format", "TEXT NOT NULL DEFAULT ''"},
	{"merged", "INTEGER NOT NULL DEFAULT 0"},
	{"kind", "TEXT NOT NULL DEFAULT 'mix'"},
	{"storage", "TEXT NOT NULL DEFAULT 'local'"},
	{"info", "TEXT NOT NULL DEFAULT ''"},
}

// broadcastAdditions are the columns added to broadcasts since its first version.
var broadcastAdditions = []struct{ name, def string }{
	{"parts", "INTEGER NOT NULL DEFAULT 0"},
	{"gaps", "INTEGER NOT NULL DEFAULT 0"},
}

func migrate(ctx context.Context, db *sql.DB) error {
	if err := addColumns(ctx, db, "vods", vodAdditions); err != nil {
		return err
	}
	if err := addColumns(ctx, db, "broadcasts", broadcastAdditions); err != nil {
		return err
	}
	_, err := db.ExecContext(ctx, `CREATE INDEX IF NOT EXISTS vods_by_stream ON vods(stream_id)`)
	return err
}

// addColumns adds to table (a constant of this package) those of columns it lacks.
func addColumns(ctx context.Context, db *sql.DB, table string, columns []struct{ name, def string }) error {
	have := map[string]bool{}
	rows, err := db.QueryContext(ctx, `SELECT name FROM pragma_table_info(?)`, table)
	if err != nil {
		return err
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return err
		}
		have[name] = true
	}
	rows.Close()
	for _, c := range columns {
		if !have[c.name] {
			if _, err := db.ExecContext(ctx, `ALTER TABLE `+table+` ADD COLUMN `+c.name+` `+c.def); err != nil {
				return err
			}
		}
	}
	return nil
}

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
	if _, err := db.ExecContext(context.Background(), metaSchema); err != nil {
		db.Close()
		return nil, fmt.Errorf("catalog %s: %w", path, err)
	}
	if err := migrate(context.Background(), db); err != nil {
		db.Close()
		return nil, fmt.Errorf("catalog %s: %w", path, err)
	}
	return &Catalog{db: db}, nil
}

// DB is the database, for the parts of the service that keep tables of their own in it
// (the upload queue, the webhook outbox).
func (c *Catalog) DB() *sql.DB { return c.db }

// Close closes the database.
func (c *Catalog) Close() error { return c.db.Close() }
