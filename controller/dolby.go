package controller

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"mediapush/catalog"
	"mediapush/output"
	"mediapush/worker"
)

// The Dolby.io-style recording API: a conference is recorded as "mixes", each the recording of
// one layout page at one size (several at once, one per mixId), or pushed to RTMP. Each mix is
// a media-push session whose stream id is <conferenceId>_mix_<mixId> (_rtmp_ for pushes).

// Dolby's default mix size and its limits.
const (
	MixWidth, MixHeight = 1920, 1080
	minMixWidth         = 520
	minMixHeight        = 390
	maxMixSide          = 1920
	defaultMixID        = "default"
)

// MixRequest is the body of Dolby's mix recording and RTMP starts.
type MixRequest struct {
	LayoutURL string `json:"layoutUrl"`
	Width     int    `json:"width"`
	Height    int    `json:"height"`
	MixID     string `json:"mixId"`
	URI       string `json:"uri"` // RTMP target, for rtmp/start
}

func mixStreamID(conference, kind, mixID string) string { return conference + "_" + kind + "_" + mixID }

// checkMix applies Dolby's defaults and limits.
func checkMix(conference string, req *MixRequest) error {
	if err := validStreamID(conference); err != nil {
		return fmt.Errorf("conferenceId: %w", err)
	}
	if req.MixID == "" {
		req.MixID = defaultMixID
	}
	if err := validStreamID(req.MixID); err != nil {
		return fmt.Errorf("mixId: %w", err)
	}
	if req.LayoutURL == "" {
		return errors.New("layoutUrl is mandatory")
	}
	if req.Width == 0 && req.Height == 0 {
		req.Width, req.Height = MixWidth, MixHeight
	}
	if req.Width < minMixWidth || req.Width > maxMixSide || req.Height < minMixHeight || req.Height > maxMixSide {
		return fmt.Errorf("size %dx%d is out of range: width must be %d–%d and height %d–%d",
			req.Width, req.Height, minMixWidth, maxMixSide, minMixHeight, maxMixSide)
	}
	return nil
}

// StartMix records a conference's layout page as one mix.
func (s *Service) StartMix(ctx context.Context, conference string, req MixRequest) (string, error) {
	if err := checkMix(conference, &req); err != nil {
		return "", badRequest(err)
	}
	id := mixStreamID(conference, "mix", req.MixID)
	id, err := s.startPush(ctx, id, StartRequest{URL: req.LayoutURL, Width: req.Width, Height: req.Height, RecordType: "mp4"},
		purpose{kind: worker.KindMix, conference: conference, mixID: req.MixID})
	var se *Error
	if errors.As(err, &se) && se.Code == 409 {
		return "", &Error{Code: 409, Message: fmt.Sprintf("conference %s is being recorded with mix %s already", conference, req.MixID)}
	}
	return id, err
}

// StartMixRTMP pushes a conference's layout page to an RTMP server.
func (s *Service) StartMixRTMP(ctx context.Context, conference string, req MixRequest) (string, error) {
	if err := checkMix(conference, &req); err != nil {
		return "", badRequest(err)
	}
	job, err := NewJob(mixStreamID(conference, "rtmp", req.MixID),
		StartRequest{URL: req.LayoutURL, Width: req.Width, Height: req.Height})
	if err != nil {
		return "", badRequest(err)
	}
	if err := output.CheckRTMP(req.URI); err != nil {
		return "", badRequest(err)
	}
	job.Endpoints = []string{req.URI}
	purpose{kind: worker.KindMixRTMP, conference: conference, mixID: req.MixID}.apply(&job)
	return job.StreamID, s.run(ctx, job)
}

// StopMixes stops every mix (kind "mix" or "rtmp") of a conference and returns how many ran.
func (s *Service) StopMixes(ctx context.Context, conference, kind string) (int, error) {
	if err := validStreamID(conference); err != nil {
		return 0, badRequest(fmt.Errorf("conferenceId: %w", err))
	}
	jobKind := worker.KindMix
	if kind == "rtmp" {
		jobKind = worker.KindMixRTMP
	}
	running, err := s.cat.RunningMixes(ctx, conference, string(jobKind))
	if err != nil {
		return 0, err
	}
	if len(running) == 0 {
		return 0, notFound("conference %s has no %s running", conference, map[string]string{"mix": "recording", "rtmp": "RTMP stream"}[kind])
	}
	// All at once: one after another, each later mix would record longer than the first.
	var mu sync.Mutex
	var wg sync.WaitGroup
	var errs []string
	for _, id := range running {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.StopPush(ctx, id); err != nil {
				mu.Lock()
				errs = append(errs, err.Error())
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		return len(running), &Error{Code: 500, Message: strings.Join(errs, "; ")}
	}
	return len(running), nil
}

// MixRecording is a recording as Dolby's Monitor API and webhooks show it.
type MixRecording struct {
	CreatedAt     int64  `json:"createdAt"`
	Region        string `json:"region"`
	RecordingType string `json:"recordingType"` // mix or individual
	Duration      int64  `json:"duration"`      // milliseconds
	URL           string `json:"url"`           // signed, expires
	Filename      string `json:"filename"`
	Size          int64  `json:"size"`
	StartTime     int64  `json:"startTime"`
	MediaType     string `json:"mediaType"`
	Mix           *Mix   `json:"mix,omitempty"`
	ConferenceID  string `json:"-"`
	// Quality and QualityReport are the VoD's (catalog.VoD.Quality).
	Quality       string          `json:"quality,omitempty"`
	QualityReport json.RawMessage `json:"qualityReport,omitempty"`
}

// Mix says which layout and size a mix recording is.
type Mix struct {
	MixID     string `json:"mixId"`
	LayoutURL string `json:"layoutUrl"`
	Width     int    `json:"width"`
	Height    int    `json:"height"`
}

// mixRecording presents a VoD of a mix, with a fresh download URL.
func (s *Service) mixRecording(ctx context.Context, v catalog.VoD) (MixRecording, error) {
	conference, mixID := v.Conference, v.MixID
	url, err := s.DownloadURL(ctx, v)
	if err != nil {
		return MixRecording{}, err
	}
	r := MixRecording{CreatedAt: v.CreationDate, Region: "local", RecordingType: v.Kind, Duration: v.Duration,
		URL: url, Filename: v.VodName, Size: v.FileSize, StartTime: v.StartTime, MediaType: mediaTypeOf(v.Format),
		ConferenceID: conference, Quality: v.Quality, QualityReport: v.QualityReport}
	if m, ok := remixMix(v); ok {
		r.Mix = m
	} else if v.Kind == "mix" && mixID != "" {
		r.Mix = &Mix{MixID: mixID}
		if b, err := s.cat.GetBroadcast(ctx, v.StreamID); err == nil {
			r.Mix.LayoutURL, r.Mix.Width, r.Mix.Height = b.URL, b.Width, b.Height
		}
	}
	return r, nil
}

func mediaTypeOf(format string) string {
	switch format {
	case "mp3":
		return "audio/mpeg"
	case "webm":
		return "video/webm"
	case "hls":
		return "application/vnd.apple.mpegurl"
	}
	return "video/mp4"
}

// ConferenceRecordings lists a conference's recordings with fresh URLs.
func (s *Service) ConferenceRecordings(ctx context.Context, conference string) ([]MixRecording, error) {
	if err := validStreamID(conference); err != nil {
		return nil, badRequest(fmt.Errorf("conferenceId: %w", err))
	}
	vods, err := s.cat.ConferenceMixes(ctx, conference)
	if err != nil {
		return nil, err
	}
	out := []MixRecording{}
	for _, v := range vods {
		r, err := s.mixRecording(ctx, v)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// MixRecordings lists every mix recording, optionally of one media type, newest first.
func (s *Service) MixRecordings(ctx context.Context, mediaTypeFilter string, offset, size int) ([]MixRecording, error) {
	format := ""
	if mediaTypeFilter != "" {
		if format = formatOf(mediaTypeFilter); format == "" {
			return []MixRecording{}, nil // no recording is of that type
		}
	}
	vods, err := s.cat.Mixes(ctx, format, offset, size)
	if err != nil {
		return nil, err
	}
	out := []MixRecording{}
	for _, v := range vods {
		r, err := s.mixRecording(ctx, v)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// formatOf is the recording format of a media type; "" for none mediapush makes.
func formatOf(mediaType string) string {
	for _, f := range []string{"mp4", "mp3", "webm", "hls"} {
		if mediaTypeOf(f) == mediaType {
			return f
		}
	}
	return ""
}

// DeleteConferenceRecordings deletes every recording of a conference; it returns how many.
func (s *Service) DeleteConferenceRecordings(ctx context.Context, conference string) (int, error) {
	if err := validStreamID(conference); err != nil {
		return 0, badRequest(fmt.Errorf("conferenceId: %w", err))
	}
	vods, err := s.cat.ConferenceMixes(ctx, conference)
	if err != nil {
		return 0, err
	}
	for _, v := range vods {
		if err := s.DeleteVoD(ctx, v.VodID); err != nil {
			return 0, err
		}
	}
	return len(vods), nil
}
