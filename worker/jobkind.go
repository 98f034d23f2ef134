package worker

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	redactText "mediapush/internal/redact"
	"mediapush/storage"
)

// JobKind is what a session is for.
type JobKind string

// The kinds of job.
const (
	// KindPush is a page given by a media-push start call.
	KindPush JobKind = "mediapush"
	// KindRoom records a room (Job.Room) through its layout page.
	KindRoom JobKind = "room"
	// KindMix records a Dolby conference's layout page as one mix (Job.Conference, Job.MixID).
	KindMix JobKind = "mix"
	// KindMixRTMP pushes a Dolby conference's layout page to an RTMP server as one mix.
	KindMixRTMP JobKind = "mix-rtmp"
)

// Of is the job's kind; a job that names none is a media push.
func (j Job) Of() JobKind {
	if j.Kind == "" {
		return KindPush
	}
	return j.Kind
}

// Composite tells whether the kind's page plays a whole conference (every participant's
// video), which costs about half as much again as a plain page.
func (k JobKind) Composite() bool { return k == KindRoom || k == KindMix || k == KindMixRTMP }

// idName is what a stream, room, conference or mix id may hold: they name files and URLs.
var idName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

// Check refuses a job whose stream id could not name a file, or whose kind is unknown or lacks
// (or has stray) the room, conference and mix that kind takes.
func (j Job) Check() error {
	if !idName.MatchString(j.StreamID) {
		return fmt.Errorf("streamId %q is not valid: use 1 to 128 letters, digits, '-' or '_'", j.StreamID)
	}
	if err := storage.CheckKey(j.StreamID); err != nil {
		return err
	}
	need := map[string]string{"room": j.Room, "conference": j.Conference, "mixId": j.MixID}
	var want []string
	switch j.Of() {
	case KindPush:
	case KindRoom:
		want = []string{"room"}
	case KindMix, KindMixRTMP:
		want = []string{"conference", "mixId"}
	default:
		return fmt.Errorf("job kind %q is not known: use %s, %s, %s or %s", j.Kind, KindPush, KindRoom, KindMix, KindMixRTMP)
	}
	for _, name := range []string{"room", "conference", "mixId"} {
		v := need[name]
		switch {
		case slices.Contains(want, name) && v == "":
			return fmt.Errorf("a %s job needs its %s", j.Of(), name)
		case !slices.Contains(want, name) && v != "":
			return fmt.Errorf("a %s job has no %s, but %s %q was given", j.Of(), name, name, v)
		case v != "" && !idName.MatchString(v):
			return fmt.Errorf("%s %q is not valid: use 1 to 128 letters, digits, '-' or '_'", name, v)
		}
	}
	for _, name := range j.Continues {
		if err := storage.CheckKey(name); err != nil || !strings.HasSuffix(name, ".mkv") {
			return fmt.Errorf("the part %q it continues is not the name of a Matroska file", name)
		}
	}
	return nil
}

// Public is the job as it may leave the worker in an event: without the start call's token,
// the page's URL with its credentials hidden (a room recording's play token rides in its
// query), the push targets without their stream keys and the page's script left out (it may
// hold anything the caller put in it).
func (j Job) Public() Job {
	j.Token = ""
	j.URL = redactText.Text(j.URL)
	if j.Endpoints != nil {
		eps := make([]string, len(j.Endpoints))
		for i, e := range j.Endpoints {
			eps[i] = redactText.Text(RedactEndpoint(e))
		}
		j.Endpoints = eps
	}
	if j.JSCommand != "" {
		j.JSCommand = redactText.Mask
	}
	j.ChromeSwitches = redactText.Text(j.ChromeSwitches)
	j.Record = slices.Clone(j.Record)
	return j
}
