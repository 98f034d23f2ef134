package controller

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"mediapush/catalog"
	"mediapush/internal/recname"
	"mediapush/recorder"
	"mediapush/storage"
	"mediapush/webhook"
	"mediapush/worker"
)

// DefaultDownloadTTL is how long a signed download URL works, as Dolby's do.
const DefaultDownloadTTL = 10 * time.Minute

// Webhook event types.
const (
	EventRecordingsAvailable = "Recordings.Available"
	EventSessionState        = "Session.State"
	EventSessionQuality      = "Session.Quality"
)

// delivery gets finished recordings to where they are kept and tells the backend about them.
type delivery struct {
	signer   *storage.Signer
	ttl      time.Duration
	required bool              // /streams files need a valid signature
	remote   *storage.S3       // or nil to keep recordings here
	uploader *storage.Uploader // to remote
	hooks    *webhook.Outbox
	base     string // how clients reach this node, for local download URLs; may be empty
}

// signingKey is the key of this node's download URLs, kept in the data directory so that URLs
// handed out stay good across a restart.
func signingKey(dataDir string) ([]byte, error) {
	path := filepath.Join(dataDir, "url-signing.key")
	if key, err := os.ReadFile(path); err == nil && len(key) >= storage.MinSignerKeyLen {
		return key, nil
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, key, 0o600); err != nil {
		return nil, fmt.Errorf("saving the URL signing key: %w", err)
	}
	return key, nil
}

// streamPath is what a download URL's signature covers: the file, whatever the application.
func streamPath(file string) string { return "/streams/" + file }

// DownloadURL is a URL that downloads a VoD for the next ttl: pre-signed by S3 when it is
// kept there, else signed by this node.
func (s *Service) DownloadURL(ctx context.Context, v catalog.VoD) (string, error) {
	d := s.delivery
	if v.Storage == "s3" && d.remote != nil {
		return d.remote.URL(ctx, v.VodName, d.ttl)
	}
	q := d.signer.Sign(streamPath(v.VodName), time.Now().Add(d.ttl))
	return d.base + "/live/streams/" + url.PathEscape(v.VodName) + "?" + q, nil
}

// CheckDownload verifies the signature of a request for a recording file. A request without
// one reports signed false: it needs the control API's access instead, unless signed downloads
// are required. An expired or altered URL is refused.
func (s *Service) CheckDownload(file string, q url.Values) (signed bool, err error) {
	if q.Get("signature") == "" && q.Get("expires") == "" {
		if s.delivery.required {
			return false, &Error{Code: 403, Message: "recordings are served only through signed download URLs"}
		}
		return false, nil
	}
	if err := s.delivery.signer.Verify(streamPath(file), q, time.Now()); err != nil {
		return false, &Error{Code: 403, Message: "this download URL is not valid: " + err.Error()}
	}
	return true, nil
}

// SignPlaylist gives each segment of an HLS playlist fetched through a signed URL a signature
// of its own, good until the same time, so that a player holding only the playlist's URL can
// play it.
func (s *Service) SignPlaylist(playlist []byte, q url.Values) []byte {
	unix, err := strconv.ParseInt(q.Get("expires"), 10, 64)
	if err != nil {
		return playlist
	}
	expires := time.Unix(unix, 0)
	return signPlaylist(playlist, func(name string) string {
		return s.delivery.signer.Sign(streamPath(name), expires)
	})
}

// deliver sends a listed recording on: to S3 (the announcement follows the upload), or
// announced at once when it stays here.
func (s *Service) deliver(ctx context.Context, v catalog.VoD, files []string) {
	d := s.delivery
	if d.remote == nil {
		s.announce(ctx, v)
		return
	}
	// The playlist last: the recording counts as uploaded when its main file is.
	for _, f := range files {
		if err := d.uploader.Enqueue(ctx, f, filepath.Join(s.streamsDir, f)); err != nil {
			s.log.Error().Err(err).Str("file", f).Msg("queueing the upload failed; the file stays here")
		}
	}
}

// uploaded is told of each file the S3 store has confirmed. A VoD moves to S3, and is
// announced, once the last of its files has: the playlist of an HLS recording is enqueued last,
// but a segment whose upload failed is retried after it.
func (s *Service) uploaded(key string) {
	ctx := context.Background()
	v, err := s.cat.GetVoDByName(ctx, s.vodOfFile(key))
	if err != nil {
		return // a file of a VoD deleted meanwhile
	}
	for _, f := range vodFileNames(v) {
		if done, err := s.delivery.uploader.Done(ctx, f); err != nil || !done {
			return
		}
	}
	if err := s.cat.SetStorage(ctx, v.VodName, "s3"); err != nil {
		s.log.Error().Err(err).Str("file", v.VodName).Msg("catalog: recording the upload failed")
	}
	if v, err := s.cat.GetVoDByName(ctx, v.VodName); err == nil {
		s.announce(ctx, v)
	}
}

// vodFiles are a recording's files, in upload order: an HLS recording's segments, as the
// worker lists them, then its playlist.
func (s *Service) vodFiles(rec worker.Recording) []string {
	if rec.Format != recorder.HLS {
		return []string{rec.Key}
	}
	var files []string
	for _, f := range rec.Segments {
		if storage.CheckKey(f) == nil && f != rec.Key {
			files = append(files, f)
		}
	}
	if len(rec.Segments) == 0 {
		files = s.segmentsHere(rec.Key)
	}
	return append(files, rec.Key)
}

// segmentsHere finds the segments of an HLS playlist in the streams directory: for a
// recording announced without its segment keys (one a worker recovered before it listed them).
func (s *Service) segmentsHere(playlist string) []string {
	var files []string
	entries, _ := os.ReadDir(s.streamsDir)
	stem := strings.TrimSuffix(playlist, recname.Playlist)
	for _, e := range entries {
		if e.Name() != playlist && recname.IsHLSFile(stem, e.Name()) {
			files = append(files, e.Name())
		}
	}
	return files
}

// availablePayload is Dolby's Recordings.Available body.
type availablePayload struct {
	Conference struct {
		ConfID    string `json:"confId"`
		ConfAlias string `json:"confAlias"`
	} `json:"conference"`
	ThirdPartyID string         `json:"thirdPartyId"`
	EventType    string         `json:"eventType"`
	CreatedAt    int64          `json:"createdAt"`
	Recordings   []MixRecording `json:"recordings"`
}

// announce sends Recordings.Available for a VoD, with a download URL and its quality, and
// Recording.Suspect after it for a suspect one.
func (s *Service) announce(ctx context.Context, v catalog.VoD) {
	if s.delivery.hooks == nil || v.Kind == rawKind {
		return // a raw recording is material for a remix, not a recording to play
	}
	r, err := s.mixRecording(ctx, v)
	if err != nil {
		s.log.Error().Err(err).Str("file", v.VodName).Msg("webhook: describing the recording failed")
		return
	}
	p := availablePayload{ThirdPartyID: v.StreamID, EventType: EventRecordingsAvailable, CreatedAt: time.Now().UnixMilli(),
		Recordings: []MixRecording{r}}
	p.Conference.ConfID, p.Conference.ConfAlias = v.StreamID, v.StreamID
	if r.ConferenceID != "" {
		p.Conference.ConfID, p.Conference.ConfAlias = r.ConferenceID, r.ConferenceID
	}
	if v.Kind == "individual" {
		var leg struct {
			Room string `json:"room"`
		}
		if json.Unmarshal([]byte(v.Info), &leg) == nil && leg.Room != "" {
			p.Conference.ConfID, p.Conference.ConfAlias = leg.Room, leg.Room
		}
	}
	if _, err := s.delivery.hooks.Enqueue(ctx, EventRecordingsAvailable, p); err != nil {
		s.log.Error().Err(err).Str("file", v.VodName).Msg("webhook: queueing Recordings.Available failed")
	}
	if v.Quality == catalog.QualitySuspect {
		p.EventType = EventRecordingSuspect
		if _, err := s.delivery.hooks.Enqueue(ctx, EventRecordingSuspect, p); err != nil {
			s.log.Error().Err(err).Str("file", v.VodName).Msg("webhook: queueing Recording.Suspect failed")
		}
	}
}

// stateEvent announces a session's change of state.
func (s *Service) stateEvent(ctx context.Context, ev worker.Event) {
	if s.delivery.hooks == nil {
		return
	}
	payload := map[string]any{"streamId": ev.StreamID, "state": ev.State, "reason": ev.Reason, "at": ev.At.UnixMilli()}
	if ev.Parts > 0 {
		payload["parts"], payload["gaps"] = ev.Parts, ev.Gaps
	}
	if _, err := s.delivery.hooks.Enqueue(ctx, EventSessionState, payload); err != nil {
		s.log.Error().Err(err).Str("streamId", ev.StreamID).Msg("webhook: queueing the state change failed")
	}
}

// OnDegraded announces that a running session fell below its quality targets (frame rate,
// A/V offset) for longer than allowed, or recovered; the worker has logged it.
func (s *Service) OnDegraded(d worker.Degradation) {
	if s.delivery.hooks == nil {
		return
	}
	payload := map[string]any{"streamId": d.StreamID, "degraded": d.Degraded, "fps": d.FPS,
		"avOffsetMs": d.AVOffset.Milliseconds(), "reason": d.Reason, "at": d.At.UnixMilli()}
	if _, err := s.delivery.hooks.Enqueue(context.Background(), EventSessionQuality, payload); err != nil {
		s.log.Error().Err(err).Str("streamId", d.StreamID).Msg("webhook: queueing the quality report failed")
	}
}

// deleteStored removes a VoD's files from S3.
func (s *Service) deleteStored(ctx context.Context, v catalog.VoD, files []string) error {
	if v.Storage != "s3" || s.delivery.remote == nil {
		return nil
	}
	var errs []error
	for _, f := range files {
		errs = append(errs, s.delivery.remote.Delete(ctx, f))
	}
	return errors.Join(errs...)
}

// StoredURL is a pre-signed URL of a recording file kept in S3 and no longer here: a VoD's
// file, or a segment of an HLS VoD.
func (s *Service) StoredURL(ctx context.Context, file string) (string, bool) {
	if s.delivery.remote == nil {
		return "", false
	}
	// Not only those marked "s3": the local copy goes a moment before the catalog says so.
	if _, err := s.cat.GetVoDByName(ctx, s.vodOfFile(file)); err != nil {
		return "", false
	}
	u, err := s.delivery.remote.URL(ctx, file, s.delivery.ttl)
	return u, err == nil
}

// vodOfFile is the VoD file a served file belongs to: a timeline's recording, an HLS
// segment's playlist, else itself.
func (s *Service) vodOfFile(file string) string { return recname.RecordingOf(file) }

// maxPlaylist bounds an HLS playlist read back from S3: a day of 2 s segments is ~2 MB.
const maxPlaylist = 16 << 20

// StoredPlaylist is an HLS VoD's playlist kept in S3, read back to be served from here: its
// segment names then resolve against this node, which redirects each to S3.
func (s *Service) StoredPlaylist(ctx context.Context, file string) ([]byte, bool) {
	if s.delivery.remote == nil || !strings.HasSuffix(file, ".m3u8") {
		return nil, false
	}
	if _, err := s.cat.GetVoDByName(ctx, file); err != nil {
		return nil, false
	}
	b, err := s.delivery.remote.Read(ctx, file, maxPlaylist)
	return b, err == nil
}
