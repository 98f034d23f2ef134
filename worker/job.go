// Package worker runs capture sessions: for each Job it launches Chromium on the page, takes
// the tab's stream in through the ingest, records it, and reports each change of state as an
// Event. Jobs and Events are plain data so that they can travel between machines as messages.
package worker

import (
	"time"

	"mediapush/recorder"
)

// Job asks for one page to be captured.
type Job struct {
	StreamID string `json:"streamId"`
	// Kind says what the session is for: a start call's page (empty counts as KindPush), a
	// room's recording (Room names the room) or a Dolby conference's mix (Conference and MixID
	// name it). The controller that makes the job sets them; nothing reads them from StreamID.
	Kind       JobKind `json:"kind,omitempty"`
	Room       string  `json:"room,omitempty"`
	Conference string  `json:"conference,omitempty"`
	MixID      string  `json:"mixId,omitempty"`
	URL        string  `json:"url"`
	Width      int     `json:"width"`
	Height     int     `json:"height"`
	// Record lists the recordings to make while pushing (mp4, webm, mp3, hls); empty pushes
	// without recording.
	Record []recorder.Format `json:"record,omitempty"`
	// Endpoints are RTMP(S) URLs to push to from the start.
	Endpoints []string `json:"endpoints,omitempty"`
	// ChromeSwitches is Ant Media's extraChromeSwitches, validated by browser.ParseSwitches.
	// Switches apply to a whole browser: a session with switches of its own gets its own.
	ChromeSwitches string `json:"chromeSwitches,omitempty"`
	// OwnBrowser runs the page in a browser of its own rather than as a tab of a shared one
	// (always in a browser context of its own: no cookies, storage or cache shared).
	OwnBrowser bool `json:"ownBrowser,omitempty"`
	// JSCommand runs in the page, as a function body, once it has loaded and before the
	// capture starts (Ant Media's jsCommand).
	JSCommand string `json:"jsCommand,omitempty"`
	// Token is the publish token given with the start call.
	Token string `json:"token,omitempty"`
	// AwaitStartSignal starts recording at the page's start signal (console START_RECORDING
	// or a #conferenceStartedVoxeet element) instead of at its first frame.
	AwaitStartSignal bool `json:"awaitStartSignal,omitempty"`
	// Continues names the parts of this session's recording that a lost worker made before
	// this job was started again elsewhere: Matroska files rebuilt from its spool, in the
	// shared directory Config.ContinuedDir, each with its sidecar. The session's recording goes
	// on after them: at the end they are finished and joined with what it records, in order,
	// each gap marked, into one recording per format.
	Continues []string `json:"continues,omitempty"`
}

// State is where a session is in its life.
type State string

// The states of a session. COMPLETE, FAILED and ABORTED are final.
const (
	Starting State = "STARTING"
	Active   State = "ACTIVE"
	Ending   State = "ENDING"
	Complete State = "COMPLETE"
	Failed   State = "FAILED"
	Aborted  State = "ABORTED" // stopped or shut down before it was ACTIVE
)

// Final tells whether no other state follows s.
func (s State) Final() bool { return s == Complete || s == Failed || s == Aborted }

// EventKind says what an event reports: a change of the session's state, or something its
// page signalled.
type EventKind string

// The kinds of event. Only a StateChange carries a State; the others leave it empty and are
// dated (At) when the worker saw the page's signal.
const (
	StateChange    EventKind = ""
	PageStarted    EventKind = "startSignal"   // console START_RECORDING or #conferenceStartedVoxeet
	PageEnded      EventKind = "endSignal"     // console END_RECORDING or #conferenceEndedVoxeet
	SpeakerChanged EventKind = "activeSpeaker" // console ACTIVE_SPEAKER <streamId>: Speaker
)

// Event reports a session's change of state, or a signal of its page (Kind).
type Event struct {
	StreamID string    `json:"streamId"`
	Kind     EventKind `json:"kind,omitempty"`
	State    State     `json:"state,omitempty"`
	At       time.Time `json:"at"`
	// Speaker is the stream id of the participant a SpeakerChanged event names.
	Speaker string `json:"speaker,omitempty"`
	// Reason says why a session FAILED or was ABORTED.
	Reason string `json:"reason,omitempty"`
	// Job is the session's job, on the STARTING event, without its credentials (Job.Public).
	Job *Job `json:"job,omitempty"`
	// Recordings are the finished files, on the final event (and on recovery).
	Recordings []Recording `json:"recordings,omitempty"`
	// Parts and Gaps count, once the session's browser has crashed and the session went on in
	// a fresh one, the stretches it recorded and the gaps between them (on the ACTIVE event
	// of the restart and on the final event).
	Parts int `json:"parts,omitempty"`
	Gaps  int `json:"gaps,omitempty"`
}

// Recording is one finished file, named by its key in the worker's streams store: a flat file
// name (storage.CheckKey), never a path. Only the worker knows where its files are.
type Recording struct {
	StreamID string          `json:"streamId"`
	Format   recorder.Format `json:"format"`
	Key      string          `json:"key"`
	// Segments are the keys of an HLS recording's init and media segments, in order; Key is
	// its playlist.
	Segments  []string      `json:"segments,omitempty"`
	StartedAt time.Time     `json:"startedAt"`
	Duration  time.Duration `json:"duration"`
	Size      int64         `json:"size"`
	// Partial marks a recording cut short by a failure or crash.
	Partial bool `json:"partial,omitempty"`
	// Merged marks the join of a session's parts (recording toggled off and on).
	Merged bool `json:"merged,omitempty"`
	// Gaps are the stretches missing from the file: a restart after a crash, or recording
	// toggled off in a merged file. Each is also a chapter boundary.
	Gaps []Gap `json:"gaps,omitempty"`
	// Wall is how long the recording ran by the clock, from its first frame to the session's
	// end, gaps included; zero when unknown (a part finished before the end, a recovered file).
	Wall time.Duration `json:"wall,omitempty"`
	// AVOffset is the session's A/V offset (SessionFigures.AVOffset) averaged over the
	// session, when AVOffsetKnown.
	AVOffset      time.Duration `json:"avOffset,omitempty"`
	AVOffsetKnown bool          `json:"avOffsetKnown,omitempty"`
	// FrameRate is the frames a second the capture was asked for (Config.Capture); zero when
	// unknown (a recovered file).
	FrameRate int `json:"frameRate,omitempty"`
}

// Gap is time missing from a recording: At is where, in the file, the media after the gap
// begins; Duration is how long nothing was recorded.
type Gap struct {
	At       time.Duration `json:"at"`
	Duration time.Duration `json:"duration"`
}
