package worker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"mediapush/media"
	"mediapush/output"
	"mediapush/recorder"
)

// Endpoint is a push of a session to another server.
type Endpoint struct {
	ID     string        `json:"endpointServiceId"`
	URL    string        `json:"url"` // with its stream key hidden
	Status output.Status `json:"status"`
}

// liveOutputs are what a session sends on while it runs: its HLS recording and its pushes.
// They start when media flows; a push added before then waits for it.
type liveOutputs struct {
	log      zerolog.Logger
	keyframe func()

	mu       sync.Mutex
	video    media.Track
	audio    *media.Track
	flowing  bool
	hls      *output.Output
	hlsName  string // streams/<hlsName>.m3u8; empty when not recorded
	hlsStart time.Time
	pushes   map[string]*push
	order    []string
}

type push struct {
	url  string // the target, secret
	spec output.Spec
	out  *output.Output // nil until media flows
}

func newLiveOutputs(log zerolog.Logger, keyframe func()) *liveOutputs {
	return &liveOutputs{log: log, keyframe: keyframe, pushes: map[string]*push{}}
}

// start begins the outputs once the session's tracks are known. hlsName, when set, records HLS
// into dir.
func (l *liveOutputs) start(video media.Track, audio *media.Track, dir, hlsName string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.video, l.audio, l.flowing = video, audio, true
	if hlsName != "" {
		spec := output.HLS(dir, hlsName)
		spec.Keyframe, spec.Log = l.keyframe, l.log
		l.hls, l.hlsName, l.hlsStart = output.Start(spec, video, audio), hlsName, time.Now().UTC()
	}
	for _, id := range l.order {
		p := l.pushes[id]
		p.out = output.Start(p.spec, video, audio)
	}
}

// add starts pushing to an RTMP(S) URL and returns the endpoint's id.
func (l *liveOutputs) add(target string) (string, error) {
	spec, err := output.RTMP(target)
	if err != nil {
		return "", err
	}
	spec.Keyframe, spec.Log = l.keyframe, l.log
	b := make([]byte, 6)
	rand.Read(b) //nolint:errcheck // never fails
	id := hex.EncodeToString(b)
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, p := range l.pushes {
		if p.url == target {
			return "", errors.New("the session pushes to this URL already")
		}
	}
	p := &push{url: target, spec: spec}
	if l.flowing {
		p.out = output.Start(spec, l.video, l.audio)
	}
	l.pushes[id] = p
	l.order = append(l.order, id)
	l.log.Info().Str("endpoint", id).Str("url", output.Redact(target)).Msg("push added")
	return id, nil
}

// remove stops a push.
func (l *liveOutputs) remove(ctx context.Context, id string) error {
	l.mu.Lock()
	p := l.pushes[id]
	delete(l.pushes, id)
	for i, o := range l.order {
		if o == id {
			l.order = append(l.order[:i], l.order[i+1:]...)
			break
		}
	}
	l.mu.Unlock()
	if p == nil {
		return ErrNoEndpoint
	}
	if p.out != nil {
		p.out.Close(ctx) //nolint:errcheck // a push that failed has said so in its status
	}
	l.log.Info().Str("endpoint", id).Msg("push removed")
	return nil
}

// ErrNoEndpoint is the answer for an endpoint id the session does not have.
var ErrNoEndpoint = errors.New("no such endpoint")

func (l *liveOutputs) endpoints() []Endpoint {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Endpoint, 0, len(l.order))
	for _, id := range l.order {
		p := l.pushes[id]
		st := output.Status{Name: p.spec.Name, State: output.Connecting}
		if p.out != nil {
			st = p.out.Status()
		}
		out = append(out, Endpoint{ID: id, URL: output.Redact(p.url), Status: st})
	}
	return out
}

func (l *liveOutputs) each(f func(*output.Output)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.hls != nil {
		f(l.hls)
	}
	for _, p := range l.pushes {
		if p.out != nil {
			f(p.out)
		}
	}
}

// WriteVideo and WriteAudio hand a sample to every output; outputs never block.
func (l *liveOutputs) WriteVideo(s media.Sample) error {
	l.each(func(o *output.Output) { o.WriteVideo(s) }) //nolint:errcheck // outputs never fail a write
	return nil
}

func (l *liveOutputs) WriteAudio(s media.Sample) error {
	l.each(func(o *output.Output) { o.WriteAudio(s) }) //nolint:errcheck // outputs never fail a write
	return nil
}

// close ends every output; the HLS recording, finished with its playlist's end, is returned.
func (l *liveOutputs) close(ctx context.Context, streamID, dir string, partial bool) (*Recording, error) {
	l.mu.Lock()
	hls, name, began := l.hls, l.hlsName, l.hlsStart
	var pushes []*output.Output
	for _, p := range l.pushes {
		if p.out != nil {
			pushes = append(pushes, p.out)
		}
	}
	l.hls, l.pushes, l.order = nil, map[string]*push{}, nil
	l.mu.Unlock()
	for _, p := range pushes {
		p.Close(ctx) //nolint:errcheck // a push's failure is in its status; the session goes on ending
	}
	if hls == nil {
		return nil, nil
	}
	if err := hls.Close(ctx); err != nil {
		return nil, fmt.Errorf("hls: %w", err)
	}
	playlist := filepath.Join(dir, name+".m3u8")
	dur, err := recorder.Duration(ctx, playlist)
	if err != nil {
		return nil, fmt.Errorf("hls: %w", err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, name+"_*"))
	var size int64
	for _, f := range append(files, playlist) {
		if st, err := os.Stat(f); err == nil {
			size += st.Size()
		}
	}
	return &Recording{StreamID: streamID, Format: recorder.HLS, Path: playlist, StartedAt: began,
		Duration: dur, Size: size, Partial: partial}, nil
}
