package controller

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"mediapush/output"
	"mediapush/rooms"
	"mediapush/timeline"
	"mediapush/worker"
)

// SetRecording turns the recording of a running session on or off (Ant Media's
// PUT broadcasts/{id}/recording/{true|false}); recordType, when given, says in what. vodID is
// the id of the VoD the recording becomes: reserved when it is turned on (the file is listed
// under it when it is finished), that of its file when it is turned off ("" when nothing was
// recorded).
func (s *Service) SetRecording(ctx context.Context, streamID string, on bool, recordType string) (vodID string, recs []worker.Recording, err error) {
	formats, err := parseRecordTypes(recordType)
	if err != nil {
		return "", nil, badRequest(err)
	}
	var prev string
	if on {
		vodID = uuid.NewString()
		prev = s.vodIDs.reserve(streamID, vodID)
	}
	recs, err = s.runner.SetRecording(ctx, streamID, on, formats)
	if on && err != nil {
		s.vodIDs.restore(streamID, vodID, prev)
		vodID = ""
	}
	switch {
	case errors.Is(err, worker.ErrNotFound):
		return "", nil, notFound("no session with stream id %s is running", streamID)
	case errors.Is(err, worker.ErrRecording), errors.Is(err, worker.ErrNotRecording), errors.Is(err, worker.ErrResuming):
		return "", nil, &Error{Code: 409, Message: fmt.Sprintf("stream %s: %v", streamID, err)}
	case err != nil:
		return "", recs, &Error{Code: 422, Message: fmt.Sprintf("stream %s: %v", streamID, err)}
	}
	if on {
		s.timelines.note(streamID, timeline.Note{Kind: timeline.Resumed, Reason: "recording turned on"})
	} else {
		s.timelines.note(streamID, timeline.Note{Kind: timeline.Paused, Reason: "recording turned off"})
	}
	if !on && len(recs) > 0 {
		if v, err := s.cat.GetVoDByName(ctx, recs[0].Key); err == nil {
			vodID = v.VodID
		}
	}
	return vodID, recs, nil
}

// AddEndpoint starts pushing a session to an RTMP(S) URL or, given whipURL, to a WHIP
// endpoint (token, if any, is its bearer token). A stream with no session yet keeps the push
// until one starts.
func (s *Service) AddEndpoint(streamID, rtmpURL, whipURL, token string) (string, error) {
	target := rtmpURL
	switch {
	case rtmpURL != "" && whipURL != "":
		return "", badRequest(errors.New("give rtmpUrl or whipUrl, not both"))
	case whipURL != "":
		if _, err := rooms.CheckWHIP(whipURL); err != nil {
			return "", badRequest(err)
		}
		target = whipURL
	default:
		if err := output.CheckRTMP(rtmpURL); err != nil {
			return "", badRequest(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	// ffmpeg resolves an RTMP host again when it connects: a name whose answer changes in
	// between (DNS rebinding) is not caught here. WHIP pushes connect through the policy.
	if err := s.checkDestination(ctx, pushTarget(target), target); err != nil {
		return "", err
	}
	id, err := s.runner.AddEndpoint(streamID, "", target, token)
	if le, ok := limitError(err, true); ok {
		return "", le
	}
	switch {
	case errors.Is(err, worker.ErrNotFound):
		// Not live yet: the push starts with the stream's session.
		return s.addPending(streamID, target, token)
	case err != nil:
		return "", &Error{Code: 409, Message: err.Error()}
	}
	return id, nil
}

// pushTarget names a push's server in messages.
func pushTarget(target string) string {
	if strings.HasPrefix(target, "http://") || strings.HasPrefix(target, "https://") {
		return "the WHIP endpoint"
	}
	return "the RTMP server"
}

// startFailed prefixes the reason a job could not start with its stream id.
func startFailed(streamID string, err error) error {
	var se *Error
	if errors.As(err, &se) {
		return &Error{Code: se.Code, Message: fmt.Sprintf("stream %s could not start: %s", streamID, se.Message)}
	}
	return err
}

// RemoveEndpoint stops one push of a session.
func (s *Service) RemoveEndpoint(ctx context.Context, streamID, id string) error {
	if id == "" {
		return badRequest(errors.New("endpointServiceId is mandatory"))
	}
	err := s.runner.RemoveEndpoint(ctx, streamID, id)
	if err != nil {
		return s.removePending(streamID, id, err)
	}
	return nil
}
