package controller

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"mediapush/browser"
	"mediapush/internal/redact"
	"mediapush/recorder"
	"mediapush/worker"
)

// StartRequest is the body of Ant Media's media-push start call.
type StartRequest struct {
	URL                 string `json:"url"`
	Width               int    `json:"width"`
	Height              int    `json:"height"`
	Token               string `json:"token"`
	RecordType          string `json:"recordType"`
	ExtraChromeSwitches string `json:"extraChromeSwitches"`
	// JSCommand runs in the page, as a function body, once it has loaded and before the
	// capture starts.
	JSCommand string `json:"jsCommand"`
	// AwaitStartSignal records from the page's start signal (console START_RECORDING or a
	// #conferenceStartedVoxeet element) rather than from its first frame.
	AwaitStartSignal bool `json:"awaitStartSignal"`
	// OwnBrowser runs the page in a browser of its own rather than as a tab of a shared one.
	OwnBrowser bool `json:"ownBrowser"`
}

// Size limits of a capture: from a thumbnail to 4K.
const (
	MinWidth, MaxWidth   = 160, 3840
	MinHeight, MaxHeight = 120, 2160
	DefaultWidth         = 1280
	DefaultHeight        = 720
)

var streamIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

// validStreamID checks an id that names files and URLs.
func validStreamID(id string) error {
	if !streamIDPattern.MatchString(id) {
		return fmt.Errorf("streamId %q is not valid: use 1 to 128 letters, digits, '-' or '_'", id)
	}
	return nil
}

// reservedMarks are the parts of the stream ids mediapush gives its own sessions: a room's
// recording ({room}_composite) and Dolby mixes ({conference}_mix_{mixId}, _rtmp_ for pushes).
var reservedMarks = []string{compositeSuffix, "_mix_", "_rtmp_"}

// checkNotReserved refuses, for a caller's own session or publication, an id that mediapush
// gives its sessions: squatting {room}_composite would block the room's recording, or put
// somebody else's stream in its place.
func checkNotReserved(id string) error {
	if strings.HasSuffix(id, compositeSuffix) {
		return fmt.Errorf("streamId %s is reserved: ids ending in %s name room recordings (start one with rooms/{roomId}/recording/start)", id, compositeSuffix)
	}
	for _, mark := range reservedMarks[1:] {
		if strings.Contains(id, mark) {
			return fmt.Errorf("streamId %s is reserved: ids containing %s name Dolby mixes", id, mark)
		}
	}
	return nil
}

// newStreamID makes an id like Ant Media's generated ones.
func newStreamID() string {
	const letters = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 16)
	rand.Read(b) //nolint:errcheck // never fails
	for i := range b {
		b[i] = letters[int(b[i])%len(letters)]
	}
	return string(b)
}

// checkURL accepts only absolute http(s) URLs: file:, chrome:, javascript: and friends would
// let a caller read the server's disk or the browser's internals.
func checkURL(raw string) error {
	if strings.TrimSpace(raw) == "" {
		return errors.New("url is mandatory")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return fmt.Errorf("Incoming url: %s is not a valid url", raw)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("Incoming url: %s is not a valid url: only http and https pages can be recorded, not %s", raw, u.Scheme)
	}
	if u.Host == "" {
		return fmt.Errorf("Incoming url: %s is not a valid url: it names no host", raw)
	}
	return nil
}

// checkSize applies Ant Media's default (0x0 → 1280x720) and mediapush's limits.
func checkSize(w, h int) (int, int, error) {
	if w == 0 && h == 0 {
		return DefaultWidth, DefaultHeight, nil
	}
	if w < MinWidth || w > MaxWidth || h < MinHeight || h > MaxHeight {
		return 0, 0, fmt.Errorf("size %dx%d is out of range: width must be %d–%d and height %d–%d",
			w, h, MinWidth, MaxWidth, MinHeight, MaxHeight)
	}
	if w%2 != 0 || h%2 != 0 {
		return 0, 0, fmt.Errorf("size %dx%d: width and height must be even (video encoders need it)", w, h)
	}
	return w, h, nil
}

// parseRecordTypes reads recordType: empty (push only), or a comma-separated list of mp4,
// webm, mp3 and hls.
func parseRecordTypes(s string) ([]recorder.Format, error) {
	var out []recorder.Format
	for _, item := range strings.Split(s, ",") {
		if strings.TrimSpace(item) == "" {
			continue
		}
		f, err := recorder.ParseFormat(item)
		if err != nil {
			return nil, fmt.Errorf("recordType %q is not supported: use mp4, webm, mp3 or hls, or several separated by commas", strings.TrimSpace(item))
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	// The page is captured once, as H264 or as VP8: webm (VP8) and the H264 outputs exclude each other.
	if slices.Contains(out, recorder.WebM) && (slices.Contains(out, recorder.MP4) || slices.Contains(out, recorder.HLS)) {
		return nil, errors.New("recordType: webm cannot be combined with mp4 or hls (VP8 and H264 video); mp3 goes with either")
	}
	return out, nil
}

// NewJob validates a start request into a worker job, with the error that names what is wrong.
func NewJob(streamID string, req StartRequest) (worker.Job, error) {
	if err := validStreamID(streamID); err != nil {
		return worker.Job{}, err
	}
	if err := checkURL(req.URL); err != nil {
		return worker.Job{}, err
	}
	w, h, err := checkSize(req.Width, req.Height)
	if err != nil {
		return worker.Job{}, err
	}
	formats, err := parseRecordTypes(req.RecordType)
	if err != nil {
		return worker.Job{}, err
	}
	if _, err := browser.ParseSwitches(req.ExtraChromeSwitches); err != nil {
		return worker.Job{}, err
	}
	return worker.Job{StreamID: streamID, URL: req.URL, Width: w, Height: h, Record: formats,
		ChromeSwitches: req.ExtraChromeSwitches, Token: req.Token, AwaitStartSignal: req.AwaitStartSignal,
		JSCommand: req.JSCommand, OwnBrowser: req.OwnBrowser}, nil
}

// CheckJob checks a job that arrives from elsewhere (a worker node's NATS subject) as NewJob
// checks a start call's: its stream id becomes file names, its URL a page, its switches
// Chromium's.
func CheckJob(job worker.Job) error {
	if err := validStreamID(job.StreamID); err != nil {
		return err
	}
	if err := checkURL(job.URL); err != nil {
		return err
	}
	if w, h, err := checkSize(job.Width, job.Height); err != nil {
		return err
	} else if w != job.Width || h != job.Height {
		return fmt.Errorf("size %dx%d: a job states its size", job.Width, job.Height)
	}
	formats := make([]string, len(job.Record))
	for i, f := range job.Record {
		formats[i] = string(f)
	}
	if _, err := parseRecordTypes(strings.Join(formats, ",")); err != nil {
		return err
	}
	for _, target := range job.Endpoints {
		if u, err := url.Parse(target); err != nil || u.Host == "" {
			return fmt.Errorf("endpoint %q is not a URL", redact.Text(target))
		}
	}
	_, err := browser.ParseSwitches(job.ChromeSwitches)
	return err
}
