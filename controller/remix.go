package controller

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"

	"mediapush/catalog"
	"mediapush/internal/recname"
	"mediapush/internal/redact"
	"mediapush/raw"
	"mediapush/remix"
	"mediapush/storage"
)

// A remix renders a room's raw recording through a layout page into a new recording (package
// remix), after the call. Remixes wait in a queue kept in the catalog; the remixer (remixer.go)
// renders them one at a time. The result is a mix like any other: listed, measured, stored
// and announced by Recordings.Available, as stream <conference>_remix_<mixId>.

// RemixRequest asks for a remix. Dolby's callers give LayoutURL; Ant Media's callers a Layout
// of mediapush's own room page.
type RemixRequest struct {
	LayoutURL string `json:"layoutUrl"`
	// Layout is grid or speaker: mediapush's room page with that arrangement, when LayoutURL is empty.
	Layout string `json:"layout"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	MixID  string `json:"mixId"`
	// Format is mp4 (default) or mp3; RecordType is Ant Media's name for it.
	Format     string `json:"format"`
	RecordType string `json:"recordType"`
	// RawVodID picks the raw recording; default: the conference's latest.
	RawVodID string `json:"rawVodId"`
}

// Remix defaults: Ant Media's callers name a layout of mediapush's own page, at 720p.
const (
	defaultRemixMixID       = "remix"
	remixWidth, remixHeight = 1280, 720
	remixLayoutPage         = "/{app}/multitrack-play.html?id={roomId}&layout={layout}"
	remixKind               = "remix"
	maxRemixesListed        = 100
	remixProgressPageShare  = 5 // percent of a remix's progress for laying its scenes out
)

// checkRemix applies a remix request's defaults and limits. A request that names a layout gets
// mediapush's own page of application app, as a path: the remixer serves it (remixPages).
func checkRemix(conference, app string, req *RemixRequest) error {
	if err := validStreamID(conference); err != nil {
		return fmt.Errorf("conferenceId: %w", err)
	}
	if req.Format == "" {
		req.Format = req.RecordType
	}
	switch req.Format {
	case "":
		req.Format = "mp4"
	case "mp4", "mp3":
	default:
		return fmt.Errorf("format %q: a remix is mp4 or mp3", req.Format)
	}
	if req.RawVodID != "" {
		if err := validStreamID(req.RawVodID); err != nil {
			return fmt.Errorf("rawVodId: %w", err)
		}
	}
	if req.LayoutURL == "" {
		if err := checkLayout(&req.Layout); err != nil {
			return fmt.Errorf("%w, or give a layoutUrl", err)
		}
		if app == "" {
			return errors.New("layoutUrl is mandatory")
		}
		req.LayoutURL = strings.NewReplacer("{app}", url.PathEscape(app),
			"{roomId}", url.QueryEscape(conference), "{layout}", req.Layout).Replace(remixLayoutPage)
		if req.MixID == "" {
			req.MixID = req.Layout
		}
	}
	if req.MixID == "" {
		req.MixID = defaultRemixMixID
	}
	if req.Width == 0 && req.Height == 0 {
		req.Width, req.Height = remixWidth, remixHeight
	}
	if strings.HasPrefix(req.LayoutURL, "/") && req.Layout == "" {
		return fmt.Errorf("layoutUrl %q: give a whole URL, or a layout of mediapush's own page", req.LayoutURL)
	}
	mix := MixRequest{LayoutURL: req.LayoutURL, Width: req.Width, Height: req.Height, MixID: req.MixID}
	return checkMix(conference, &mix)
}

// StartRemix queues a remix of a conference's (a room's) raw recording. app names the
// application of mediapush's own page for a request that names a layout.
func (s *Service) StartRemix(ctx context.Context, conference, app string, req RemixRequest) (catalog.Remix, error) {
	if s.remixer == nil {
		return catalog.Remix{}, &Error{Code: 503, Message: "remixes are not available on this node"}
	}
	if err := checkRemix(conference, app, &req); err != nil {
		return catalog.Remix{}, badRequest(err)
	}
	if req.Layout == "" { // not the node's own page
		if err := s.checkDestination(ctx, "the layout page", req.LayoutURL); err != nil {
			return catalog.Remix{}, err
		}
	}
	source, err := s.rawRecordingOf(ctx, conference, req.RawVodID)
	if err != nil {
		return catalog.Remix{}, err
	}
	r := catalog.Remix{
		ID: uuid.NewString(), Conference: conference, RawVoD: source.VodID, MixID: req.MixID, LayoutURL: req.LayoutURL,
		Width: req.Width, Height: req.Height, Format: req.Format, Status: catalog.RemixQueued,
		DurationMs: source.Duration, CreatedAt: s.now().UnixMilli(),
	}
	if err := s.cat.PutRemix(ctx, r); err != nil {
		return catalog.Remix{}, err
	}
	s.log.Info().Str("remixId", r.ID).Str("conference", conference).Str("rawVodId", source.VodID).
		Str("mixId", r.MixID).Msg("remix queued")
	s.remixer.wake()
	return shownRemix(r), nil
}

// rawRecordingOf is the raw recording a remix renders: vodID's, or the conference's latest.
func (s *Service) rawRecordingOf(ctx context.Context, conference, vodID string) (catalog.VoD, error) {
	if vodID != "" {
		v, err := s.cat.GetVoD(ctx, vodID)
		if errors.Is(err, catalog.ErrNotFound) || err == nil && (v.Kind != rawKind || v.StreamID != conference) {
			return v, notFound("conference %s has no raw recording %s", conference, vodID)
		}
		return v, err
	}
	list, err := s.cat.FindVoDs(ctx, catalog.VoDQuery{StreamID: conference, Size: 1000})
	if err != nil {
		return catalog.VoD{}, err
	}
	for _, v := range list { // newest first
		if v.Kind == rawKind {
			return v, nil
		}
	}
	return catalog.VoD{}, notFound("conference %s has no raw recording: a room is recorded raw while it is recorded (or always, with rooms.rawRecording: always)", conference)
}

// Remixes lists a conference's remixes ("": all), the newest first.
func (s *Service) Remixes(ctx context.Context, conference string) ([]catalog.Remix, error) {
	if conference != "" {
		if err := validStreamID(conference); err != nil {
			return nil, badRequest(fmt.Errorf("conferenceId: %w", err))
		}
	}
	list, err := s.cat.Remixes(ctx, conference, maxRemixesListed)
	for i := range list {
		list[i] = shownRemix(list[i])
	}
	return list, err
}

// Remix is one remix by id.
func (s *Service) Remix(ctx context.Context, id string) (catalog.Remix, error) {
	r, err := s.cat.GetRemix(ctx, id)
	if errors.Is(err, catalog.ErrNotFound) {
		return r, notFound("no remix with id %s", id)
	}
	return shownRemix(r), err
}

// shownRemix is a remix as the API shows it: its page's URL without credentials.
func shownRemix(r catalog.Remix) catalog.Remix {
	r.LayoutURL = redact.Text(r.LayoutURL)
	return r
}

// remixInfo is a remix's VoD info: what it was made from and how.
type remixInfo struct {
	Remix struct {
		ID        string `json:"id"`
		RawVodID  string `json:"rawVodId"`
		LayoutURL string `json:"layoutUrl"`
		Width     int    `json:"width"`
		Height    int    `json:"height"`
	} `json:"remix"`
}

// remixMix is the Dolby mix description of a remix's VoD, from its info.
func remixMix(v catalog.VoD) (*Mix, bool) {
	var info remixInfo
	if json.Unmarshal([]byte(v.Info), &info) != nil || info.Remix.ID == "" {
		return nil, false
	}
	return &Mix{MixID: v.MixID, LayoutURL: info.Remix.LayoutURL, Width: info.Remix.Width, Height: info.Remix.Height}, true
}

// remixSource makes the raw recording's files readable in dir: they are read where they are
// kept here, or copied from the S3 bucket. It returns the manifest and the files' directory.
func (s *Service) remixSource(ctx context.Context, v catalog.VoD, dir string) (raw.Manifest, string, error) {
	var m raw.Manifest
	var info rawInfo
	if err := json.Unmarshal([]byte(v.Info), &info); err != nil || len(info.Files) == 0 {
		return m, "", fmt.Errorf("raw recording %s lists no files", v.VodID)
	}
	for _, f := range info.Files {
		if err := storage.CheckKey(f); err != nil {
			return m, "", fmt.Errorf("raw recording %s: %w", v.VodID, err)
		}
	}
	src := s.streamsDir
	if v.Storage == "s3" {
		if s.delivery.remote == nil {
			return m, "", fmt.Errorf("raw recording %s is kept in S3, which this node is not configured for", v.VodID)
		}
		src = filepath.Join(dir, "source")
		if err := os.MkdirAll(src, 0o700); err != nil {
			return m, "", err
		}
		for _, f := range info.Files {
			path := filepath.Join(src, f)
			if _, err := os.Stat(path); err == nil {
				continue // copied before a restart
			}
			if err := s.delivery.remote.Get(ctx, f, path); err != nil {
				return m, "", err
			}
		}
	}
	m, err := raw.ReadManifest(filepath.Join(src, v.VodName))
	if err != nil {
		return m, "", fmt.Errorf("raw recording %s: %w", v.VodID, err)
	}
	for _, p := range m.Publications {
		if err := storage.CheckKey(p.File); err != nil {
			return m, "", fmt.Errorf("raw recording %s: %w", v.VodID, err)
		}
	}
	return m, src, nil
}

// addRemix lists a finished remix's file as a mix of the conference, measures it and sends it on.
func (s *Service) addRemix(ctx context.Context, r catalog.Remix, m raw.Manifest, speakers []remix.SpeakerChange, name string, size int64, report json.RawMessage) (catalog.VoD, error) {
	var info remixInfo
	info.Remix.ID, info.Remix.RawVodID, info.Remix.LayoutURL = r.ID, r.RawVoD, redact.Text(r.LayoutURL)
	info.Remix.Width, info.Remix.Height = r.Width, r.Height
	b, _ := json.Marshal(info)
	streamID := mixStreamID(r.Conference, remixKind, r.MixID)
	v := catalog.VoD{
		VodID: uuid.NewString(), VodName: name, StreamID: streamID, StreamName: streamID,
		FilePath: "streams/" + name, Type: "streamVod", CreationDate: s.now().UnixMilli(),
		StartTime: m.StartedAt.UnixMilli(), Duration: r.DurationMs, FileSize: size, Partial: m.Interrupted,
		Format: r.Format, Kind: "mix", Storage: "local", Info: string(b), Conference: r.Conference, MixID: r.MixID,
	}
	files := []string{name}
	if events, chapters, err := s.writeRemixTimeline(name, m, speakers); err != nil {
		s.log.Error().Err(err).Str("remixId", r.ID).Str("file", name).Msg("the remix's timeline could not be written; it is listed without one")
	} else {
		v.Info = withTimelineInfo(v.Info, events, chapters)
		// Uploaded before the recording: the VoD counts as stored with its last file.
		files = []string{events, chapters, name}
	}
	s.listPending(&v, report)
	if err := s.cat.AddVoD(ctx, v); err != nil {
		return v, err
	}
	s.measureThenDeliver(ctx, v, files)
	return v, nil
}

// remixName is the file a remix makes: named by its stream id and the time it was asked
// for, so that a remix taken up again after a restart writes the same file.
func remixName(r catalog.Remix) string {
	stem := recname.Format(mixStreamID(r.Conference, remixKind, r.MixID), time.UnixMilli(r.CreatedAt))
	return stem + "." + r.Format
}
