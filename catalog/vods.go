package catalog

import (
	"context"
	"database/sql"
	"errors"
)

// VoD is a finished recording, in Ant Media's VoD shape.
type VoD struct {
	VodID        string `json:"vodId"`
	VodName      string `json:"vodName"` // the file name
	StreamID     string `json:"streamId"`
	StreamName   string `json:"streamName"`
	FilePath     string `json:"filePath"` // relative to the application, e.g. streams/x.mp4
	Type         string `json:"type"`     // streamVod
	CreationDate int64  `json:"creationDate"`
	StartTime    int64  `json:"startTime"`
	Duration     int64  `json:"duration"` // milliseconds
	FileSize     int64  `json:"fileSize"`
	// Partial marks a recording cut short by a failure or a crash.
	Partial bool `json:"partial"`
}

// AddVoD stores v.
func (c *Catalog) AddVoD(ctx context.Context, v VoD) error {
	_, err := c.db.ExecContext(ctx, `INSERT INTO vods
		(vod_id, vod_name, stream_id, file_path, type, creation_date, start_time, duration, file_size, partial)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		v.VodID, v.VodName, v.StreamID, v.FilePath, v.Type, v.CreationDate, v.StartTime, v.Duration, v.FileSize, v.Partial)
	return err
}

const vodColumns = `vod_id, vod_name, stream_id, file_path, type, creation_date, start_time, duration, file_size, partial`

func scanVoD(row interface{ Scan(...any) error }) (VoD, error) {
	var v VoD
	err := row.Scan(&v.VodID, &v.VodName, &v.StreamID, &v.FilePath, &v.Type, &v.CreationDate,
		&v.StartTime, &v.Duration, &v.FileSize, &v.Partial)
	v.StreamName = v.StreamID
	return v, err
}

// GetVoD returns the VoD with id.
func (c *Catalog) GetVoD(ctx context.Context, id string) (VoD, error) {
	v, err := scanVoD(c.db.QueryRowContext(ctx, `SELECT `+vodColumns+` FROM vods WHERE vod_id=?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return v, ErrNotFound
	}
	return v, err
}

// ListVoDs returns size VoDs from offset, newest first.
func (c *Catalog) ListVoDs(ctx context.Context, offset, size int) ([]VoD, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT `+vodColumns+` FROM vods
		ORDER BY creation_date DESC, vod_id LIMIT ? OFFSET ?`, size, offset)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []VoD{}
	for rows.Next() {
		v, err := scanVoD(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// DeleteVoD removes the VoD with id from the catalog and returns what it was.
func (c *Catalog) DeleteVoD(ctx context.Context, id string) (VoD, error) {
	v, err := scanVoD(c.db.QueryRowContext(ctx, `DELETE FROM vods WHERE vod_id=? RETURNING `+vodColumns, id))
	if errors.Is(err, sql.ErrNoRows) {
		return v, ErrNotFound
	}
	return v, err
}
