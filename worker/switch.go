package worker

import (
	"sync"
	"time"

	"mediapush/media"
	"mediapush/recorder"
)

// recordingSwitch turns the recording of a session on and off (Ant Media's recording toggle,
// a page's start signal). Each time it is turned on a new recording begins, at the next
// keyframe and at time zero; turning it off hands the recording over to be finished.
type recordingSwitch struct {
	mu sync.Mutex
	// open makes a recording in formats whose first frame has the session PTS pts; set once
	// media flows.
	open    func(formats []recorder.Format, pts time.Duration) (*recording, error)
	on      bool
	formats []recorder.Format // of the recording the switch makes next
	cur     *recording
	offset  time.Duration // session PTS of the current recording's first frame
	err     error
}

// setOpener gives the switch the function that makes a recording.
func (r *recordingSwitch) setOpener(open func([]recorder.Format, time.Duration) (*recording, error)) {
	r.mu.Lock()
	r.open = open
	r.mu.Unlock()
}

// turnOn starts a recording in formats at the next keyframe; false (and nothing changed) if
// one is on already.
func (r *recordingSwitch) turnOn(formats []recorder.Format) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.on {
		return false
	}
	r.on, r.formats = true, formats
	return true
}

// formatsNext are the formats of the last recording turned on.
func (r *recordingSwitch) formatsNext() []recorder.Format {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.formats
}

// isOn tells whether recording is on.
func (r *recordingSwitch) isOn() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.on
}

// turnOff stops recording and returns the recording to finish: nil when none had begun (no
// keyframe yet). wasOn is false if recording was off already.
func (r *recordingSwitch) turnOff() (rec *recording, wasOn bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rec, wasOn = r.cur, r.on
	r.cur, r.on = nil, false
	return rec, wasOn
}

// cut ends the current recording without turning recording off, when the media's source is
// gone (its browser crashed): the recording is returned to be finished with the ones after it,
// and the next one begins at the first keyframe once a new opener is set.
func (r *recordingSwitch) cut() *recording {
	r.mu.Lock()
	defer r.mu.Unlock()
	rec := r.cur
	r.cur, r.open, r.err = nil, nil, nil
	return rec
}

// current is the recording being written, if any.
func (r *recordingSwitch) current() *recording {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cur
}

// The recording is written without the lock held: its writer may make one track wait for the
// other. A write that fails because the recording was just turned off is no failure.

func (r *recordingSwitch) WriteVideo(s media.Sample) error {
	r.mu.Lock()
	if r.err != nil || !r.on || r.open == nil || (r.cur == nil && !s.Keyframe) {
		err := r.err
		r.mu.Unlock()
		return err
	}
	if r.cur == nil {
		if r.cur, r.err = r.open(r.formats, s.PTS); r.err != nil {
			r.mu.Unlock()
			return r.err
		}
		r.offset = s.PTS
	}
	rec, offset := r.cur, r.offset
	r.mu.Unlock()
	s.PTS -= offset
	return r.check(rec, rec.writer.WriteVideo(s))
}

func (r *recordingSwitch) WriteAudio(s media.Sample) error {
	r.mu.Lock()
	rec, offset := r.cur, r.offset
	r.mu.Unlock()
	if rec == nil || s.PTS < offset {
		return nil
	}
	s.PTS -= offset
	return r.check(rec, rec.writer.WriteAudio(s))
}

func (r *recordingSwitch) check(rec *recording, err error) error {
	if err == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cur != rec {
		return nil
	}
	r.err = err
	return err
}
