// Package timeline says what happened in a recorded room and when, on the recording's own
// clock: who joined and left, muted and unmuted, shared a screen, who spoke (as the recorded
// page heard it), when the page signalled its start and end and where the recording paused. A Log collects notes by the wall clock while a
// room is recorded; Build places them on one recording file's timeline (seconds from its first
// frame, pauses and crash gaps taken out as the merged file takes them out) and renders the
// result as JSON events and WebVTT chapters.
package timeline

import (
	"slices"
	"sync"
	"time"
)

// Kind is what an event says happened.
type Kind string

// The kinds of event.
const (
	Join             Kind = "join"
	Leave            Kind = "leave"
	AudioMuted       Kind = "audioMuted"
	AudioUnmuted     Kind = "audioUnmuted"
	VideoOff         Kind = "videoOff"
	VideoOn          Kind = "videoOn"
	ScreenShareStart Kind = "screenShareStart"
	ScreenShareStop  Kind = "screenShareStop"
	ActiveSpeaker    Kind = "activeSpeaker"
	StartSignal      Kind = "startSignal"
	EndSignal        Kind = "endSignal"
	// Paused and Resumed mark a gap in the recording: recording turned off and on, or a
	// crash's restart. Build makes them from the recording's gaps; notes of these kinds only
	// lend their reason to the gap they fall in.
	Paused  Kind = "paused"
	Resumed Kind = "resumed"
)

// Note is something that happened, by the wall clock.
type Note struct {
	Kind     Kind
	At       time.Time
	StreamID string
	Name     string
	// Presenter is the stream id of a screen sharer's camera.
	Presenter string
	Reason    string
}

// Log collects the notes of one recorded session. It is safe for concurrent use.
type Log struct {
	now func() time.Time

	mu    sync.Mutex
	notes []Note
}

// NewLog makes a log whose notes without a time are dated by now.
func NewLog(now func() time.Time) *Log {
	if now == nil {
		now = time.Now
	}
	return &Log{now: now}
}

// maxNotes bounds a log: a participant flapping its microphone for hours must not grow it
// without end. The oldest mute notes would matter least, but dropping new ones keeps it simple.
const maxNotes = 100_000

// Add notes n, dated now unless it carries its time.
func (l *Log) Add(n Note) {
	if n.At.IsZero() {
		n.At = l.now()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.notes) < maxNotes {
		l.notes = append(l.notes, n)
	}
}

// Notes are the notes so far, oldest first.
func (l *Log) Notes() []Note {
	l.mu.Lock()
	out := slices.Clone(l.notes)
	l.mu.Unlock()
	slices.SortStableFunc(out, func(a, b Note) int { return a.At.Compare(b.At) })
	return out
}
