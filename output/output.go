// Package output sends a session's media on while it records: live HLS and RTMP(S) pushes,
// each through an ffmpeg process that reads the media as a Matroska stream on its stdin.
// An output never holds the session back: samples reach it through a bounded queue, and an
// output that falls behind drops what it cannot take and resumes at the next keyframe. A push
// whose ffmpeg exits (the server went away) starts again with growing pauses.
package output

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"mediapush/media"
)

// Spec says what one output makes.
type Spec struct {
	// Name identifies the output in logs and status, without secrets (an RTMP stream key).
	Name string
	// Args are ffmpeg's output arguments, after its input (the Matroska stream on stdin).
	Args []string
	// Target is the secret URL the output sends to, kept out of errors and logs.
	Target string
	// Restart runs ffmpeg again, after a pause, whenever it exits before Close.
	Restart bool
	// Keyframe asks the source for a keyframe: a (re)started output begins at one.
	Keyframe func()
	Log      zerolog.Logger
}

// queueLength is how many samples wait for a slow output before it drops: about five
// seconds of 30 fps video with its audio.
const queueLength = 400

// Restart pauses: doubling from the first to the last.
const (
	firstPause = time.Second
	lastPause  = 30 * time.Second
)

// State is where an output is.
type State string

// States of an output.
const (
	Connecting State = "connecting" // ffmpeg is starting or has not taken media yet
	Running    State = "running"
	Retrying   State = "retrying" // ffmpeg exited; it starts again after a pause
	Failed     State = "failed"   // ffmpeg exited and the output does not restart
	Closed     State = "closed"
)

// Status is a snapshot of an output.
type Status struct {
	Name     string `json:"name"`
	State    State  `json:"state"`
	Restarts int    `json:"restarts"`
	Dropped  int64  `json:"dropped"` // samples the output could not take
	Err      string `json:"error,omitempty"`
}

type item struct {
	video bool
	s     media.Sample
}

// Output is one running output.
type Output struct {
	spec  Spec
	video media.Track
	audio *media.Track
	queue chan item

	waitKey atomic.Bool // a video frame was dropped: skip video to the next keyframe
	dropped atomic.Int64

	mu       sync.Mutex
	cmd      *exec.Cmd // the running ffmpeg, for Close to kill when it will not finish
	state    State
	restarts int
	err      error

	stop chan struct{} // closed by Close: finish what is queued and end
	done chan struct{} // closed when the run loop has ended
}

// Start begins an output for a session with these tracks.
func Start(spec Spec, video media.Track, audio *media.Track) *Output {
	o := &Output{spec: spec, video: video, audio: audio, queue: make(chan item, queueLength),
		state: Connecting, stop: make(chan struct{}), done: make(chan struct{})}
	go o.run()
	return o
}

// WriteVideo queues a video sample. It never blocks and never fails: an output's trouble is
// its own (see Status).
func (o *Output) WriteVideo(s media.Sample) error {
	if o.waitKey.Load() {
		if !s.Keyframe {
			o.dropped.Add(1)
			return nil
		}
		o.waitKey.Store(false)
	}
	if !o.offer(item{video: true, s: s}) {
		o.waitKey.Store(true) // the next frames would not decode without this one
		if o.spec.Keyframe != nil {
			// Without a fresh keyframe the picture stays lost until the source's next regular
			// one, seconds away; asked without waiting: the session is never held back.
			go o.spec.Keyframe()
		}
	}
	return nil
}

// WriteAudio queues an audio sample.
func (o *Output) WriteAudio(s media.Sample) error {
	o.offer(item{s: s})
	return nil
}

func (o *Output) offer(it item) bool {
	select {
	case o.queue <- it:
		return true
	default:
		o.dropped.Add(1)
		return false
	}
}

// Status reports the output's state.
func (o *Output) Status() Status {
	o.mu.Lock()
	defer o.mu.Unlock()
	st := Status{Name: o.spec.Name, State: o.state, Restarts: o.restarts, Dropped: o.dropped.Load()}
	if o.err != nil {
		st.Err = o.err.Error()
	}
	return st
}

func (o *Output) set(st State, err error) {
	o.mu.Lock()
	o.state = st
	if err != nil {
		o.err = err
	}
	if st == Retrying {
		o.restarts++
	}
	o.mu.Unlock()
}

// Close ends the output: what is queued is written, ffmpeg finishes its files (an HLS
// playlist gets its end), within ctx.
func (o *Output) Close(ctx context.Context) error {
	select {
	case <-o.stop:
	default:
		close(o.stop)
	}
	select {
	case <-o.done:
	case <-ctx.Done():
		// ffmpeg does not take its input any more (a server that stopped reading): end it.
		o.mu.Lock()
		if o.cmd != nil && o.cmd.Process != nil {
			o.cmd.Process.Kill() //nolint:errcheck // it may have just exited
		}
		o.mu.Unlock()
		<-o.done
		return fmt.Errorf("output %s did not finish in time: %w", o.spec.Name, ctx.Err())
	}
	if n := o.dropped.Load(); n > 0 {
		o.spec.Log.Warn().Str("output", o.spec.Name).Int64("dropped", n).Msg("the output could not take all the media")
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.state == Failed {
		return o.err
	}
	o.state = Closed
	return nil
}

// errClosing ends an attempt because the output is being closed.
var errClosing = errors.New("closing")
