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

// addition is a column added to a table since its first version; Open adds those a database
// made by an earlier version lacks, and runs fill once, when it adds the column, to give the
// rows it finds their values.
type addition struct {
	table, name, def string
	fill             string
}

// additions, in order. The kind of a session and the room, conference and mix it belongs to
// were once read from its stream id ({room}_composite, {conference}_mix_{mixId},
// {conference}_rtmp_{mixId}); rows from then get them from their ids, once. Start calls could
// never take such ids, so the reading is sure for those rows.
var additions = []addition{
	{table: "vods", name: "format", def: "TEXT NOT NULL DEFAULT ''"},
	{table: "vods", name: "merged", def: "INTEGER NOT NULL DEFAULT 0"},
	{table: "vods", name: "kind", def: "TEXT NOT NULL DEFAULT 'mix'"},
	{table: "vods", name: "storage", def: "TEXT NOT NULL DEFAULT 'local'"},
	{table: "vods", name: "info", def: "TEXT NOT NULL DEFAULT ''"},
	{table: "vods", name: "conference", def: "TEXT NOT NULL DEFAULT ''"},
	{table: "vods", name: "mix_id", def: "TEXT NOT NULL DEFAULT ''", fill: `UPDATE vods SET
		conference=substr(stream_id, 1, instr(stream_id, '_mix_')-1), mix_id=substr(stream_id, instr(stream_id, '_mix_')+5)
		WHERE kind='mix' AND instr(stream_id, '_mix_') > 1 AND length(stream_id) > instr(stream_id, '_mix_')+4`},
	{table: "broadcasts", name: "kind", def: "TEXT NOT NULL DEFAULT 'mediapush'"},
	{table: "broadcasts", name: "room", def: "TEXT NOT NULL DEFAULT ''"},
	{table: "broadcasts", name: "conference", def: "TEXT NOT NULL DEFAULT ''"},
	{table: "broadcasts", name: "mix_id", def: "TEXT NOT NULL DEFAULT ''", fill: `
		UPDATE broadcasts SET kind='room', room=substr(stream_id, 1, length(stream_id)-10)
		WHERE length(stream_id) > 10 AND substr(stream_id, -10) = '_composite';
		UPDATE broadcasts SET kind='mix',
		conference=substr(stream_id, 1, instr(stream_id, '_mix_')-1), mix_id=substr(stream_id, instr(stream_id, '_mix_')+5)
		WHERE kind='mediapush' AND instr(stream_id, '_mix_') > 1 AND length(stream_id) > instr(stream_id, '_mix_')+4;
		UPDATE broadcasts SET kind='mix-rtmp',
		conference=substr(stream_id, 1, instr(stream_id, '_rtmp_')-1), mix_id=substr(stream_id, instr(stream_id, '_rtmp_')+6)
		WHERE kind='mediapush' AND instr(stream_id, '_rtmp_') > 1 AND length(stream_id) > instr(stream_id, '_rtmp_')+5`},
	{table: "broadcasts", name: "parts", def: "INTEGER NOT NULL DEFAULT 0"},
	{table: "broadcasts", name: "gaps", def: "INTEGER NOT NULL DEFAULT 0"},
	{table: "vods", name: "quality", def: "TEXT NOT NULL DEFAULT ''"},
	{table: "vods", name: "quality_report", def: "TEXT NOT NULL DEFAULT ''"},
}

func migrate(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit, nothing to undo
	have := map[string]bool{}
	for _, table := range []string{"vods", "broadcasts"} {
		rows, err := tx.QueryContext(ctx, `SELECT name FROM pragma_table_info(?)`, table)
		if err != nil {
			return err
		}
		for rows.Next() {
			var name string
			if err := rows.Scan(&name); err != nil {
				rows.Close()
				return err
			}
			have[table+"."+name] = true
		}
		rows.Close()
	}
	for _, c := range additions {
		if have[c.table+"."+c.name] {
			continue
		}
		if _, err := tx.ExecContext(ctx, `ALTER TABLE `+c.table+` ADD COLUMN `+c.name+` `+c.def); err != nil {
			return err
		}
		if c.fill != "" {
			if _, err := tx.ExecContext(ctx, c.fill); err != nil {
				return fmt.Errorf("filling %s.%s: %w", c.table, c.name, err)
			}
		}
	}
	for _, idx := range []string{
		`CREATE INDEX IF NOT EXISTS vods_by_stream ON vods(stream_id)`,
		`CREATE INDEX IF NOT EXISTS vods_by_conference ON vods(conference, mix_id)`,
		`CREATE INDEX IF NOT EXISTS broadcasts_by_conference ON broadcasts(conference, kind)`,
	} {
		if _, err := tx.ExecContext(ctx, idx); err != nil {
			return err
		}
	}
	return tx.Commit()
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
	for _, schema := range []string{metaSchema, remixSchema} {
		if _, err := db.ExecContext(context.Background(), schema); err != nil {
			db.Close()
			return nil, fmt.Errorf("catalog %s: %w", path, err)
		}
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
