package output

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"mediapush/internal/ffmpeg"
	"mediapush/recorder"
)

// run keeps ffmpeg going until Close: one attempt after another, pausing between them.
func (o *Output) run() {
	defer close(o.done)
	pause := firstPause
	for {
		began := time.Now()
		err := o.attempt()
		if errors.Is(err, errClosing) {
			return
		}
		if !o.spec.Restart {
			o.spec.Log.Error().Err(err).Str("output", o.spec.Name).Msg("output failed; the recording goes on without it")
			o.set(Failed, err)
			o.drain()
			return
		}
		if time.Since(began) > 2*lastPause {
			pause = firstPause // it had been running a while: a fresh failure
		}
		o.spec.Log.Warn().Err(err).Str("output", o.spec.Name).Dur("retryIn", pause).Msg("output stopped; retrying")
		o.set(Retrying, err)
		if !o.sleep(pause) {
			return
		}
		pause = min(2*pause, lastPause)
	}
}

// sleep waits d while throwing away the media of the pause; false when the output closes.
func (o *Output) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case <-o.stop:
			return false
		case <-t.C:
			o.waitKey.Store(true)
			return true
		case <-o.queue:
			o.dropped.Add(1)
		}
	}
}

// drain throws away queued media until Close, for an output that has failed for good.
func (o *Output) drain() {
	for {
		select {
		case <-o.stop:
			return
		case <-o.queue:
			o.dropped.Add(1)
		}
	}
}

// attempt runs ffmpeg once, feeding it until it exits or the output closes.
func (o *Output) attempt() error {
	o.set(Connecting, nil)
	// -progress on stdout says when ffmpeg has written media: the output is running then,
	// not when it merely took its input.
	args := append([]string{"-nostdin", "-hide_banner", "-loglevel", "error", "-progress", "pipe:1",
		"-f", "matroska", "-i", "pipe:0"}, o.spec.Args...)
	cmd := ffmpeg.Command(context.Background(), ffmpeg.FFmpeg, args...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	progress, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	var stderr tail
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting ffmpeg: %w", err)
	}
	o.mu.Lock()
	o.cmd = cmd
	o.mu.Unlock()
	go o.watchProgress(progress)
	var exitErr error
	exited := make(chan struct{})
	go func() {
		exitErr = cmd.Wait()
		close(exited)
	}()
	w, err := recorder.NewStream(stdin, o.spec.Name, o.video, o.audio)
	if err != nil {
		stdin.Close()
		<-exited
		return err
	}
	// The new Matroska stream begins at the first keyframe it is given; the frames queued
	// after that one decode from it and are all written. Skipping new frames until a fresh
	// keyframe instead would throw away what came while ffmpeg started (a session hands over
	// the seconds it held back in one burst), and the keyframe asked for here may come only
	// with the source's next regular one, seconds later: a browser does not answer every
	// request at once.
	if o.spec.Keyframe != nil {
		o.spec.Keyframe()
	}
	fed := o.feed(w, exited)
	closeErr := w.Close() // ends ffmpeg's input: it finishes its output and exits
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill() //nolint:errcheck // it would not finish
		<-exited
	}
	if exitErr != nil {
		return fmt.Errorf("ffmpeg: %v: %s", exitErr, o.hide(stderr.String()))
	}
	if errors.Is(fed, errClosing) {
		if closeErr != nil && !isPipeClosed(closeErr) {
			return closeErr
		}
		return errClosing
	}
	return fmt.Errorf("ffmpeg ended: %v", fed)
}

// watchProgress marks the output running once ffmpeg reports written bytes.
func (o *Output) watchProgress(r io.Reader) {
	sc := bufio.NewScanner(r)
	running := false
	for sc.Scan() {
		size, ok := strings.CutPrefix(sc.Text(), "total_size=")
		if n, err := strconv.ParseInt(size, 10, 64); !running && ok && err == nil && n > 0 {
			running = true
			o.mu.Lock()
			if o.state == Connecting {
				o.state = Running
			}
			o.mu.Unlock()
		}
	}
}

// hide takes the secret target out of ffmpeg's words: they name the URL, stream key and all.
func (o *Output) hide(text string) string {
	if o.spec.Target == "" {
		return text
	}
	return strings.ReplaceAll(text, o.spec.Target, Redact(o.spec.Target))
}

// feed writes queued samples to w until the output closes (errClosing) or ffmpeg exits.
func (o *Output) feed(w *recorder.Writer, exited <-chan struct{}) error {
	for {
		select {
		case <-o.stop:
			// Finish with what is queued: the last seconds belong in the files.
			for {
				select {
				case it := <-o.queue:
					if err := o.write(w, it); err != nil {
						return err
					}
				default:
					return errClosing
				}
			}
		case <-exited:
			return errors.New("ffmpeg exited")
		case it := <-o.queue:
			if err := o.write(w, it); err != nil {
				return err
			}
		}
	}
}

func (o *Output) write(w *recorder.Writer, it item) error {
	if it.video {
		return w.WriteVideo(it.s)
	}
	if o.audio == nil {
		return nil
	}
	return w.WriteAudio(it.s)
}

func isPipeClosed(err error) bool {
	return errors.Is(err, io.ErrClosedPipe) || strings.Contains(err.Error(), "broken pipe") ||
		strings.Contains(err.Error(), "file already closed")
}

// tail keeps the last lines ffmpeg wrote to stderr, for the error message.
type tail struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf.Write(p)
	if t.buf.Len() > 4096 {
		b := t.buf.Bytes()[t.buf.Len()-2048:]
		t.buf.Reset()
		t.buf.Write(b)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(t.buf.String())
}
