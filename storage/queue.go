package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// The queue is one row per key. A row is pending until its upload is confirmed (done) or its file
// turns out to be gone (failed). gen grows on every Enqueue, so a worker that finishes an upload
// of an older version of the row can tell that it has been superseded.
const queueSchema = `
CREATE TABLE IF NOT EXISTS uploads (
	key        TEXT PRIMARY KEY,
	path       TEXT NOT NULL,
	state      TEXT NOT NULL,
	gen        INTEGER NOT NULL,
	attempts   INTEGER NOT NULL,
	last_error TEXT NOT NULL,
	next_try   INTEGER NOT NULL,
	updated    INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS uploads_due ON uploads(state, next_try);
`

// Row states.
const (
	statePending = "pending"
	stateDone    = "done"
	stateFailed  = "failed"
)

// keepDone is how long a done row is kept, so Wait can still answer for a recent upload.
const keepDone = 7 * 24 * time.Hour

// Upload is a queued upload as Pending reports it.
type Upload struct {
	Key       string
	Path      string
	Attempts  int
	LastError string
	// NextTry is when the upload is next tried; zero when it has failed for good.
	NextTry time.Time
	// Failed is set when the upload will not be retried (its file is gone).
	Failed bool
}

// job is the row the worker is uploading.
type job struct {
	key, path string
	gen       int64
	attempts  int
}

// queue is the uploads table. Times are stored as Unix milliseconds.
type queue struct {
	db *sql.DB
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func (q queue) init(ctx context.Context) error {
	_, err := q.db.ExecContext(ctx, queueSchema)
	return err
}

// put adds key, or points an existing row at path and makes it due now with a clean record:
// whatever happened to the old file says nothing about the new one.
func (q queue) put(ctx context.Context, key, path string, now time.Time) error {
	_, err := q.db.ExecContext(ctx, `INSERT INTO uploads (key, path, state, gen, attempts, last_error, next_try, updated)
		VALUES (?, ?, 'pending', 1, 0, '', ?, ?)
		ON CONFLICT(key) DO UPDATE SET path=excluded.path, state='pending', gen=gen+1, attempts=0,
		last_error='', next_try=excluded.next_try, updated=excluded.updated`,
		key, path, ms(now), ms(now))
	return err
}

// next returns the pending row that has been due longest, if any is due at now; of rows due
// at the same millisecond, the one enqueued first. Callers enqueue a recording's main file
// after its parts (an HLS playlist after its segments), and the recording counts as uploaded
// when its main file is: ordered by key, a playlist went before the segments enqueued in the
// same millisecond ("x.m3u8" < "x_00001.m4s"), and was announced while they were still here.
func (q queue) next(ctx context.Context, now time.Time) (job, bool, error) {
	var j job
	err := q.db.QueryRowContext(ctx, `SELECT key, path, gen, attempts FROM uploads
		WHERE state='pending' AND next_try <= ? ORDER BY next_try, rowid LIMIT 1`, ms(now)).
		Scan(&j.key, &j.path, &j.gen, &j.attempts)
	if errors.Is(err, sql.ErrNoRows) {
		return job{}, false, nil
	}
	return j, err == nil, err
}

// nextDue is when the earliest pending row is due; ok is false when nothing is pending.
func (q queue) nextDue(ctx context.Context) (t time.Time, ok bool, err error) {
	var due sql.NullInt64
	err = q.db.QueryRowContext(ctx, `SELECT MIN(next_try) FROM uploads WHERE state='pending'`).Scan(&due)
	if err != nil || !due.Valid {
		return time.Time{}, false, err
	}
	return time.UnixMilli(due.Int64), true, nil
}

// dueNow makes every pending row due: a new process retries at once rather than keep the
// backoff of the one before, which often ended to fix whatever was failing.
func (q queue) dueNow(ctx context.Context, now time.Time) error {
	_, err := q.db.ExecContext(ctx, `UPDATE uploads SET next_try=? WHERE state='pending' AND next_try > ?`, ms(now), ms(now))
	return err
}

// finish records the outcome of an attempt at j. It reports false, and changes nothing, when the
// row was enqueued again meanwhile: the outcome then belongs to a version nobody wants.
func (q queue) finish(ctx context.Context, j job, state string, lastErr string, nextTry, now time.Time) (bool, error) {
	res, err := q.db.ExecContext(ctx, `UPDATE uploads SET state=?, attempts=attempts+1, last_error=?, next_try=?, updated=?
		WHERE key=? AND gen=?`, state, lastErr, ms(nextTry), ms(now), j.key, j.gen)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// prune forgets done rows older than keepDone.
func (q queue) prune(ctx context.Context, now time.Time) error {
	_, err := q.db.ExecContext(ctx, `DELETE FROM uploads WHERE state='done' AND updated < ?`, ms(now.Add(-keepDone)))
	return err
}

// pending lists the rows not done, oldest due first.
func (q queue) pending(ctx context.Context) ([]Upload, error) {
	rows, err := q.db.QueryContext(ctx, `SELECT key, path, state, attempts, last_error, next_try FROM uploads
		WHERE state != 'done' ORDER BY next_try, key`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Upload
	for rows.Next() {
		var u Upload
		var state string
		var next int64
		if err := rows.Scan(&u.Key, &u.Path, &state, &u.Attempts, &u.LastError, &next); err != nil {
			return nil, err
		}
		u.Failed = state == stateFailed
		if !u.Failed {
			u.NextTry = time.UnixMilli(next)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// state returns key's state and last error; found is false for a key never queued (or pruned).
func (q queue) state(ctx context.Context, key string) (state, lastErr string, found bool, err error) {
	err = q.db.QueryRowContext(ctx, `SELECT state, last_error FROM uploads WHERE key=?`, key).Scan(&state, &lastErr)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", false, nil
	}
	if err != nil {
		return "", "", false, fmt.Errorf("storage: upload queue: %w", err)
	}
	return state, lastErr, true, nil
}
