package worker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"mediapush/internal/recname"
	"mediapush/media"
	"mediapush/output"
	"mediapush/rooms"
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
	// whip starts a WHIP push of the session's live stream; nil without a conference server.
	whip func(target, token string) (*rooms.Push, error)
	// maxPushes is the most pushes at once; ≤ 0 is no limit.
	maxPushes int
	// hlsSegment is the length of the HLS recording's segments.
	hlsSegment time.Duration
	// forward, when set, starts the push of the live stream to the controller (a worker
	// node's session): none of the endpoints, not counted, ended with the session.
	forward func() (*rooms.Push, error)

	mu       sync.Mutex
	video    media.Track
	audio    *media.Track
	flowing  bool
	hls      *output.Output
	hlsName  string // streams/<hlsName>.m3u8; empty when not recorded
	hlsStart time.Time
	pushes   map[string]*push
	order    []string
	// forwarded is the push to the controller, once media flows.
	forwarded *rooms.Push
}

type push struct {
	url   string // the target, secret
	token string // a WHIP push's bearer token
	spec  output.Spec
	out   *output.Output // an RTMP push, once media flows
	whip  *rooms.Push    // a WHIP push, once media flows
}

// begin starts the push; called with l.mu held, once media flows.
func (l *liveOutputs) begin(p *push) error {
	if p.spec.Args != nil {
		p.out = output.Start(p.spec, l.video, l.audio)
		return nil
	}
	if l.whip == nil {
		return errors.New("WHIP pushes need the conference server")
	}
	w, err := l.whip(p.url, p.token)
	p.whip = w
	return err
}

func (p *push) status() output.Status {
	switch {
	case p.out != nil:
		return p.out.Status()
	case p.whip != nil:
		st := p.whip.Status()
		return output.Status{Name: p.spec.Name, State: output.State(st.State), Restarts: st.Restarts, Err: st.Err}
	}
	return output.Status{Name: p.spec.Name, State: output.Connecting}
}

func (p *push) close(ctx context.Context) {
	if p.out != nil {
		p.out.Close(ctx) //nolint:errcheck // a push that failed has said so in its status
	}
	if p.whip != nil {
		p.whip.Close()
	}
}

func newLiveOutputs(log zerolog.Logger, keyframe func(), hlsSegment time.Duration) *liveOutputs {
	return &liveOutputs{log: log, keyframe: keyframe, hlsSegment: hlsSegment, pushes: map[string]*push{}}
}

// start begins the outputs once the session's tracks are known. hlsName, when set, records HLS
// into dir.
func (l *liveOutputs) start(video media.Track, audio *media.Track, dir, hlsName string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.video, l.audio, l.flowing = video, audio, true
	if hlsName != "" {
		spec := output.HLS(dir, hlsName, l.hlsSegment)
		spec.Keyframe, spec.Log = l.keyframe, l.log
		l.hls, l.hlsName, l.hlsStart = output.Start(spec, video, audio), hlsName, time.Now().UTC()
	}
	for _, id := range l.order {
		if err := l.begin(l.pushes[id]); err != nil {
			l.log.Error().Err(err).Str("endpoint", id).Msg("the push cannot start")
		}
	}
	if l.forward != nil {
		var err error
		if l.forwarded, err = l.forward(); err != nil {
			l.log.Error().Err(err).Msg("the live stream cannot be sent to the controller: it cannot be watched there")
		}
	}
}

// add starts pushing to an RTMP(S) URL, or an http(s) WHIP endpoint (with token, if any), and
// returns the endpoint's id: id, or a new one when id is empty.
func (l *liveOutputs) add(id, target, token string) (string, error) {
	var spec output.Spec
	if strings.HasPrefix(target, "http://") || strings.HasPrefix(target, "https://") {
		u, err := rooms.CheckWHIP(target)
		if err != nil {
			return "", err
		}
		spec.Name = "whip " + u.Redacted()
	} else {
		var err error
		if spec, err = output.RTMP(target); err != nil {
			return "", err
		}
		spec.Keyframe, spec.Log = l.keyframe, l.log
	}
	if id == "" {
		id = NewEndpointID()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.pushes[id] != nil {
		return "", fmt.Errorf("the session has an endpoint %s already", id)
	}
	for _, p := range l.pushes {
		if p.url == target {
			return "", errors.New("the session pushes to this URL already")
		}
	}
	if err := admitPush(len(l.pushes), l.maxPushes); err != nil {
		return "", err
	}
	p := &push{url: target, token: token, spec: spec}
	if l.flowing {
		if err := l.begin(p); err != nil {
			return "", err
		}
	}
	l.pushes[id] = p
	l.order = append(l.order, id)
	l.log.Info().Str("endpoint", id).Str("url", redact(target)).Msg("push added")
	return id, nil
}

// NewEndpointID makes an endpoint's id.
func NewEndpointID() string {
	b := make([]byte, 6)
	rand.Read(b) //nolint:errcheck // never fails
	return hex.EncodeToString(b)
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
	p.close(ctx)
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
		out = append(out, Endpoint{ID: id, URL: redact(p.url), Status: p.status()})
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
	pushes, forwarded := l.pushes, l.forwarded
	l.hls, l.pushes, l.order, l.forwarded = nil, map[string]*push{}, nil, nil
	l.mu.Unlock()
	for _, p := range pushes {
		p.close(ctx) // a push's failure is in its status; the session goes on ending
	}
	if forwarded != nil {
		forwarded.Close()
	}
	if hls == nil {
		return nil, nil
	}
	if err := hls.Close(ctx); err != nil {
		return nil, fmt.Errorf("hls: %w", err)
	}
	rec, err := endPlaylist(ctx, filepath.Join(dir, recname.PlaylistName(name)))
	if err != nil {
		return nil, fmt.Errorf("hls: %w", err)
	}
	rec.StreamID, rec.StartedAt, rec.Partial = streamID, began, partial
	return &rec, nil
}

// redact hides a push target's secrets: an RTMP stream key, a WHIP URL's credentials and
// query (where tokens travel).
func redact(target string) string {
	if u, err := url.Parse(target); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
		u.User, u.RawQuery = nil, ""
		return u.String()
	}
	return output.Redact(target)
}

// RedactEndpoint is a push target as it may be shown: an RTMP URL without its stream key, a
// WHIP URL without its query and user info.
func RedactEndpoint(target string) string { return redact(target) }
