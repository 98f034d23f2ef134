package webhook

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// The outbox table. seq is the creation order. Times are Unix milliseconds. unavailable says
// the last attempt found the receiver unreachable or unavailable (network error, 502, 503,
// 504): such a failure says nothing about the event itself, so once the receiver takes an
// event again these are retried at once rather than at the end of their backoff.
const schema = `
CREATE TABLE IF NOT EXISTS webhook_outbox (
	seq         INTEGER PRIMARY KEY,
	id          TEXT NOT NULL UNIQUE,
	event_type  TEXT NOT NULL,
	body        BLOB NOT NULL,
	created_at  INTEGER NOT NULL,
	attempts    INTEGER NOT NULL DEFAULT 0,
	next_at     INTEGER NOT NULL,
	unavailable INTEGER NOT NULL DEFAULT 0,
	last_error  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS webhook_outbox_by_next ON webhook_outbox(next_at);
`

// event is one row of the outbox.
type event struct {
	id        string
	eventType string
	body      []byte
	createdAt time.Time
	attempts  int
	lastError string
}

// store is the outbox table. Every method finishes with its connection before returning:
// the service's database may allow a single connection.
type store struct {
	db *sql.DB
}

func (s store) create(ctx context.Context) error {
	_, err := s.db.ExecContext(ctx, schema)
	return err
}

func (s store) insert(ctx context.Context, e event) error {
	at := e.createdAt.UnixMilli()
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO webhook_outbox (id, event_type, body, created_at, next_at) VALUES (?, ?, ?, ?, ?)`,
		e.id, e.eventType, e.body, at, at)
	return err
}

// trim removes the oldest events beyond the newest max and returns them; max ≤ 0 keeps all.
// One statement, so that concurrent inserts cannot both see room for themselves.
func (s store) trim(ctx context.Context, max int) ([]event, error) {
	if max <= 0 {
		return nil, nil
	}
	rows, err := s.db.QueryContext(ctx,
		`DELETE FROM webhook_outbox WHERE seq IN (
			SELECT seq FROM webhook_outbox ORDER BY seq
			LIMIT MAX(0, (SELECT COUNT(*) FROM webhook_outbox) - ?))
		 RETURNING id, event_type, created_at, attempts, last_error`, max)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []event
	for rows.Next() {
		var e event
		var created int64
		if err := rows.Scan(&e.id, &e.eventType, &created, &e.attempts, &e.lastError); err != nil {
			return out, err
		}
		e.createdAt = time.UnixMilli(created)
		out = append(out, e)
	}
	return out, rows.Err()
}

// due returns the oldest event whose next attempt is due at now.
func (s store) due(ctx context.Context, now time.Time) (event, bool, error) {
	var e event
	var created int64
	err := s.db.QueryRowContext(ctx,
		`SELECT id, event_type, body, created_at, attempts, last_error FROM webhook_outbox
		 WHERE next_at <= ? ORDER BY seq LIMIT 1`, now.UnixMilli()).
		Scan(&e.id, &e.eventType, &e.body, &created, &e.attempts, &e.lastError)
	if errors.Is(err, sql.ErrNoRows) {
		return event{}, false, nil
	}
	if err != nil {
		return event{}, false, err
	}
	e.createdAt = time.UnixMilli(created)
	return e, true, nil
}

// nextAt returns when the next attempt at any event is due; false when there is none.
func (s store) nextAt(ctx context.Context) (time.Time, bool, error) {
	var at sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT MIN(next_at) FROM webhook_outbox`).Scan(&at); err != nil {
		return time.Time{}, false, err
	}
	if !at.Valid {
		return time.Time{}, false, nil
	}
	return time.UnixMilli(at.Int64), true, nil
}

func (s store) remove(ctx context.Context, id string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM webhook_outbox WHERE id = ?`, id)
	return err
}

// retryAt records a failed attempt and when to make the next one.
func (s store) retryAt(ctx context.Context, id string, attempts int, next time.Time, unavailable bool, lastError string) error {
	_, err := s.db.ExecContext(ctx,
		`UPDATE webhook_outbox SET attempts = ?, next_at = ?, unavailable = ?, last_error = ? WHERE id = ?`,
		attempts, next.UnixMilli(), unavailable, lastError, id)
	return err
}

// hurry makes every event that failed only because the receiver was unavailable due at now.
func (s store) hurry(ctx context.Context, now time.Time) error {
	ms := now.UnixMilli()
	_, err := s.db.ExecContext(ctx,
		`UPDATE webhook_outbox SET next_at = ? WHERE unavailable = 1 AND next_at > ?`, ms, ms)
	return err
}

func (s store) count(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM webhook_outbox`).Scan(&n)
	return n, err
}
