package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
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
	// Format is mp4, webm, mp3 or hls (whose file is the playlist).
	Format string `json:"format"`
	// Merged marks the join of a session's parts (recording toggled off and on).
	Merged bool `json:"merged,omitempty"`
	// Kind is "mix" (a page's recording) or "individual" (one participant's audio).
	Kind string `json:"kind"`
	// Storage is where the file is kept: "local", or "s3" once uploaded.
	Storage string `json:"storage"`
	// Info is what else a recording carries, as JSON: the Dolby mix it belongs to, the
	// participant whose audio it is, the time of that participant's join.
	Info string `json:"info,omitempty"`
	// Conference and MixID name the Dolby mix a recording is of (its session's job's fields);
	// empty for other recordings. Not part of Ant Media's VoD.
	Conference string `json:"-"`
	MixID      string `json:"-"`
	// Quality is how the recording measured: QualityPending while it is being measured,
	// QualityOK, QualitySuspect, or QualityUnmeasured when it could not be; empty for
	// recordings made before measuring existed or with it turned off.
	Quality string `json:"quality,omitempty"`
	// QualityReport is the measurement (a quality.Report as JSON); absent when Quality is.
	QualityReport json.RawMessage `json:"qualityReport,omitempty"`
	// Timeline gives the URLs of a room recording's timeline: its events as JSON and its
	// chapters as WebVTT. Filled in by the API from Info, not stored as such.
	Timeline *VoDTimeline `json:"timeline,omitempty"`
}

// VoDTimeline is where a room recording's timeline files are downloaded.
type VoDTimeline struct {
	JSON   string `json:"json"`
	WebVTT string `json:"webvtt"`
}

// The values of VoD.Quality.
const (
	QualityPending    = "pending"
	QualityOK         = "ok"
	QualitySuspect    = "suspect"
	QualityUnmeasured = "unmeasured"
)

// AddVoD stores v.
func (c *Catalog) AddVoD(ctx context.Context, v VoD) error {
	_, err := c.db.ExecContext(ctx, `INSERT INTO vods (`+vodColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		v.VodID, v.VodName, v.StreamID, v.FilePath, v.Type, v.CreationDate, v.StartTime, v.Duration, v.FileSize, v.Partial,
		v.Format, v.Merged, v.Kind, v.Storage, v.Info, v.Conference, v.MixID, v.Quality, string(v.QualityReport))
	return err
}

const vodColumns = `vod_id, vod_name, stream_id, file_path, type, creation_date, start_time, duration, file_size, partial,
	format, merged, kind, storage, info, conference, mix_id, quality, quality_report`

func scanVoD(row interface{ Scan(...any) error }) (VoD, error) {
	var v VoD
	var report string
	err := row.Scan(&v.VodID, &v.VodName, &v.StreamID, &v.FilePath, &v.Type, &v.CreationDate,
		&v.StartTime, &v.Duration, &v.FileSize, &v.Partial, &v.Format, &v.Merged, &v.Kind, &v.Storage, &v.Info,
		&v.Conference, &v.MixID, &v.Quality, &report)
	v.StreamName = v.StreamID
	if report != "" {
		v.QualityReport = json.RawMessage(report)
	}
	return v, err
}

// SetQuality records how a VoD's file measured.
func (c *Catalog) SetQuality(ctx context.Context, vodName, quality string, report json.RawMessage) error {
	_, err := c.db.ExecContext(ctx, `UPDATE vods SET quality=?, quality_report=? WHERE vod_name=?`, quality, string(report), vodName)
	return err
}

// VoDsOfQuality lists the VoDs whose quality is quality, oldest first: those left pending by
// a process that stopped before it measured them.
func (c *Catalog) VoDsOfQuality(ctx context.Context, quality string) ([]VoD, error) {
	return c.queryVoDs(ctx, `SELECT `+vodColumns+` FROM vods WHERE quality=? ORDER BY creation_date`, quality)
}

// SetStorage records where a VoD's file is kept now.
func (c *Catalog) SetStorage(ctx context.Context, vodName, storage string) error {
	_, err := c.db.ExecContext(ctx, `UPDATE vods SET storage=? WHERE vod_name=?`, storage, vodName)
	return err
}

// VoDsBefore lists the VoDs of kind created before t (Unix milliseconds), oldest first.
func (c *Catalog) VoDsBefore(ctx context.Context, kind string, t int64) ([]VoD, error) {
	return c.queryVoDs(ctx, `SELECT `+vodColumns+` FROM vods WHERE kind=? AND creation_date<? ORDER BY creation_date`, kind, t)
}

// ConferenceMixes lists the mix recordings of a conference, newest first.
func (c *Catalog) ConferenceMixes(ctx context.Context, conference string) ([]VoD, error) {
	return c.queryVoDs(ctx, `SELECT `+vodColumns+` FROM vods WHERE conference=? AND mix_id<>'' ORDER BY creation_date DESC, vod_id`,
		conference)
}

func (c *Catalog) queryVoDs(ctx context.Context, q string, args ...any) ([]VoD, error) {
	rows, err := c.db.QueryContext(ctx, q, args...)
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
	return c.FindVoDs(ctx, VoDQuery{Offset: offset, Size: size})
}

// VoDQuery selects and orders a page of VoDs, as Ant Media's vods/list does.
type VoDQuery struct {
	Offset, Size int
	// StreamID keeps the VoDs of that stream only.
	StreamID string
	// Search keeps the VoDs whose name, id or stream id contains it (any case).
	Search string
	// SortBy is one of VoDSortFields' keys (default date); Ascending reverses the default
	// newest (largest) first.
	SortBy    string
	Ascending bool
}

// VoDSortFields are the orders vods/list accepts, by Ant Media's names, and their columns.
// Only these reach the query's text.
var VoDSortFields = map[string]string{
	"date":     "creation_date",
	"name":     "vod_name COLLATE NOCASE",
	"duration": "duration",
	"fileSize": "file_size",
}

// FindVoDs returns the page of VoDs q asks for.
func (c *Catalog) FindVoDs(ctx context.Context, q VoDQuery) ([]VoD, error) {
	sortBy := q.SortBy
	if sortBy == "" {
		sortBy = "date"
	}
	column, ok := VoDSortFields[sortBy]
	if !ok {
		return nil, fmt.Errorf("cannot sort VoDs by %q", q.SortBy)
	}
	order := "DESC"
	if q.Ascending {
		order = "ASC"
	}
	return c.queryVoDs(ctx, `SELECT `+vodColumns+` FROM vods
		WHERE (?='' OR stream_id=?)
		AND (?='' OR instr(lower(vod_name), lower(?)) > 0 OR instr(lower(vod_id), lower(?)) > 0 OR instr(lower(stream_id), lower(?)) > 0)
		ORDER BY `+column+` `+order+`, vod_id LIMIT ? OFFSET ?`,
		q.StreamID, q.StreamID, q.Search, q.Search, q.Search, q.Search, q.Size, q.Offset)
}

// DeleteVoD removes the VoD with id from the catalog and returns what it was.
func (c *Catalog) DeleteVoD(ctx context.Context, id string) (VoD, error) {
	v, err := scanVoD(c.db.QueryRowContext(ctx, `DELETE FROM vods WHERE vod_id=? RETURNING `+vodColumns, id))
	if errors.Is(err, sql.ErrNoRows) {
		return v, ErrNotFound
	}
	return v, err
}

// GetVoDByName returns the VoD whose file is name.
func (c *Catalog) GetVoDByName(ctx context.Context, name string) (VoD, error) {
	v, err := scanVoD(c.db.QueryRowContext(ctx, `SELECT `+vodColumns+` FROM vods WHERE vod_name=?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return v, ErrNotFound
	}
	return v, err
}

// Mixes lists, newest first, size mix recordings from offset, of every conference; when format
// is set, of that format only.
func (c *Catalog) Mixes(ctx context.Context, format string, offset, size int) ([]VoD, error) {
	return c.queryVoDs(ctx, `SELECT `+vodColumns+` FROM vods WHERE conference<>'' AND mix_id<>'' AND (?='' OR format=?)
		ORDER BY creation_date DESC, vod_id LIMIT ? OFFSET ?`, format, format, size, offset)
}
