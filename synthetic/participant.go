// Package synthetic makes synthetic conference participants: each publishes a solid colour
// picture and a sine tone to a WHIP endpoint, as a real one would publish its camera and
// microphone, until it is closed. The media is made by ffmpeg beforehand and played in a
// loop, so a test can tell participants apart by colour and pitch in what the server sends
// on or records.
package synthetic

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/rs/zerolog"
)

// Options describe what a participant sends.
type Options struct {
	Color string  // ffmpeg colour ("red", "0x00ff00"); "" sends no video
	Tone  float64 // sine frequency in Hz; 0 sends no audio
	// ToneGain lowers the tone from its -12 dBFS by this many dB (0 down to -40): a quieter
	// participant, for tests of who speaks loudest.
	ToneGain           float64
	Width, Height, FPS int    // default 320x180 at 15 fps
	Token              string // sent as "Authorization: Bearer <token>" when set
	// DefaultCodecs offers pion's default codecs (VP8 first) instead of only the two sent.
	DefaultCodecs bool
	Log           zerolog.Logger
}

// A colour as ffmpeg spells it: a name, 0xRRGGBB or #RRGGBB, maybe with @alpha. Anything
// else could break out of the filter graph the colour is written into.
var colorSyntax = regexp.MustCompile(`^[A-Za-z0-9#]+(@[0-9.]+)?$`)

// withDefaults checks the options and fills in the picture's defaults.
func (o Options) withDefaults() (Options, error) {
	if o.Color == "" && o.Tone == 0 {
		return o, errors.New("synthetic: nothing to send: set a colour, a tone or both")
	}
	if o.Color != "" && !colorSyntax.MatchString(o.Color) {
		return o, fmt.Errorf("synthetic: bad colour %q: want an ffmpeg colour such as red or 0x00ff00", o.Color)
	}
	if !(o.Tone >= 0 && o.Tone < 24000) { // NaN too
		return o, fmt.Errorf("synthetic: tone %g Hz: want 0 (none) or up to 24 kHz", o.Tone)
	}
	if !(o.ToneGain >= -40 && o.ToneGain <= 0) {
		return o, fmt.Errorf("synthetic: tone gain %g dB: want 0 down to -40", o.ToneGain)
	}
	o.Width = cmp.Or(o.Width, 320)
	o.Height = cmp.Or(o.Height, 180)
	o.FPS = cmp.Or(o.FPS, 15)
	// 4:2:0 halves both dimensions of the chroma planes.
	if o.Width <= 0 || o.Height <= 0 || o.Width%2 != 0 || o.Height%2 != 0 {
		return o, fmt.Errorf("synthetic: picture %dx%d: want even, positive dimensions", o.Width, o.Height)
	}
	if o.FPS <= 0 || o.FPS > 120 {
		return o, fmt.Errorf("synthetic: %d fps: want 1 to 120", o.FPS)
	}
	return o, nil
}

// closeTimeout bounds the WHIP DELETE of Close: a server that does not answer must not keep
// a test from ending.
const closeTimeout = 5 * time.Second

// Participant is one publishing WHIP session.
type Participant struct {
	log      zerolog.Logger
	endpoint *url.URL
	token    string
	http     *http.Client
	dir      string // the generated media
	pc       *webrtc.PeerConnection
	session  *url.URL // the WHIP session (the offer's Location); nil until answered

	keyframeWanted atomic.Bool // the receiver lost the picture (PLI or FIR)
	wg             sync.WaitGroup

	mu   sync.Mutex
	stop chan struct{} // closed when the participant stops sending
	err  error         // why it stopped by itself

	closeOnce sync.Once
	closeErr  error
}

// Publish makes the media (ffmpeg, into a temporary directory removed on Close), posts an SDP
// offer to whipURL (Content-Type application/sdp; it expects 201 Created, an SDP answer and a
// Location header), and sends the media in a loop until Close. It returns once the
// connection is up, so the media is flowing when it returns. A non-201 answer gives an error
// that includes the status and the body text.
//
// ctx bounds the setup only: once Publish has returned, the participant runs until Close.
func Publish(ctx context.Context, whipURL string, opt Options) (*Participant, error) {
	endpoint, err := parseEndpoint(whipURL)
	if err != nil {
		return nil, err
	}
	if opt, err = opt.withDefaults(); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "synthetic-")
	if err != nil {
		return nil, fmt.Errorf("synthetic: %w", err)
	}
	p := &Participant{
		log:      opt.Log,
		endpoint: endpoint,
		token:    opt.Token,
		// Its own transport, so that Close can drop its idle connections and leaves no
		// goroutines behind.
		http: &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()},
		dir:  dir,
		stop: make(chan struct{}),
	}
	if err := p.start(ctx, opt); err != nil {
		p.Close() //nolint:errcheck // the setup error says more
		return nil, err
	}
	p.log.Info().Str("session", p.Location()).Str("color", opt.Color).Float64("tone", opt.Tone).
		Msg("synthetic: publishing")
	return p, nil
}

// start does the work of Publish; on an error, Publish closes what it got as far as.
func (p *Participant) start(ctx context.Context, opt Options) error {
	videoPath, audioPath, err := makeMedia(ctx, p.dir, opt)
	if err != nil {
		return err
	}
	api, err := newAPI(opt.DefaultCodecs)
	if err != nil {
		return fmt.Errorf("synthetic: %w", err)
	}
	if p.pc, err = api.NewPeerConnection(webrtc.Configuration{}); err != nil {
		return fmt.Errorf("synthetic: %w", err)
	}
	connected := p.watchConnection()

	var video, audio *webrtc.TrackLocalStaticSample
	if videoPath != "" {
		if video, err = p.addTrack(h264Codec, "video"); err != nil {
			return err
		}
	}
	if audioPath != "" {
		if audio, err = p.addTrack(opusCodec, "audio"); err != nil {
			return err
		}
	}

	// WHIP without trickle: the offer carries every candidate.
	offer, err := p.pc.CreateOffer(nil)
	if err != nil {
		return fmt.Errorf("synthetic: %w", err)
	}
	gathered := webrtc.GatheringCompletePromise(p.pc)
	if err := p.pc.SetLocalDescription(offer); err != nil {
		return fmt.Errorf("synthetic: %w", err)
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return fmt.Errorf("synthetic: gathering ICE candidates: %w", context.Cause(ctx))
	}
	answer, session, err := postOffer(ctx, p.http, p.endpoint, p.token, p.pc.LocalDescription().SDP)
	p.session = session // set even on error, so that Close ends a session that was made
	if err != nil {
		return err
	}
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		return fmt.Errorf("synthetic: the WHIP answer: %w", err)
	}

	// Media written before DTLS is up would be dropped, and with it the first keyframe.
	select {
	case <-connected:
	case <-p.stop:
		return p.Err()
	case <-ctx.Done():
		return fmt.Errorf("synthetic: connecting to %s: %w", p.endpoint, context.Cause(ctx))
	}
	if video != nil {
		p.wg.Go(func() {
			if err := p.sendVideo(video, videoPath, opt.FPS); err != nil {
				p.stopWith(fmt.Errorf("synthetic: sending video: %w", err))
			}
		})
	}
	if audio != nil {
		p.wg.Go(func() {
			if err := p.sendAudio(audio, audioPath); err != nil {
				p.stopWith(fmt.Errorf("synthetic: sending audio: %w", err))
			}
		})
	}
	return nil
}

// watchConnection follows the connection's state: the returned channel is closed once it is
// up, and the participant stops if it fails or the server closes it. pion calls the state
// handler on goroutines of its own, which may run after Close; they only hand the state over
// (or give up once the participant has stopped), and a goroutine that Close waits for acts on
// it, so nothing is logged after Close has returned.
func (p *Participant) watchConnection() <-chan struct{} {
	states := make(chan webrtc.PeerConnectionState)
	p.pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		select {
		case states <- s:
		case <-p.stop:
		}
	})
	connected := make(chan struct{})
	p.wg.Go(func() {
		for {
			var s webrtc.PeerConnectionState
			select {
			case s = <-states:
			case <-p.stop:
				return
			}
			p.log.Debug().Stringer("state", s).Msg("synthetic: connection")
			switch s {
			case webrtc.PeerConnectionStateConnected:
				select {
				case <-connected:
				default:
					close(connected)
				}
			case webrtc.PeerConnectionStateFailed:
				p.stopWith(errors.New("synthetic: the connection failed"))
			case webrtc.PeerConnectionStateClosed:
				// Close stops the participant before it closes the connection, so
				// this is the server hanging up.
				p.stopWith(errors.New("synthetic: the server closed the connection"))
			}
		}
	})
	return connected
}

// makeMedia makes the files to send, the picture and the tone at the same time; a path is ""
// for what opt does not ask for.
func makeMedia(ctx context.Context, dir string, opt Options) (videoPath, audioPath string, err error) {
	var wg sync.WaitGroup
	var videoErr, audioErr error
	if opt.Color != "" {
		wg.Go(func() { videoPath, videoErr = makeVideo(ctx, dir, opt) })
	}
	if opt.Tone != 0 {
		wg.Go(func() { audioPath, audioErr = makeAudio(ctx, dir, opt) })
	}
	wg.Wait()
	return videoPath, audioPath, errors.Join(videoErr, audioErr)
}

// Location is the URL of the WHIP session, which Close deletes.
func (p *Participant) Location() string {
	if p.session == nil {
		return ""
	}
	return p.session.String()
}

// Done is closed when the participant stops sending: on Close, or by itself when the
// connection fails or the server closes it (Err says why; Close is still due then, to end
// the session and remove the files).
func (p *Participant) Done() <-chan struct{} { return p.stop }

// Err is why the participant stopped by itself; nil while it runs or after a plain Close.
func (p *Participant) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// stopWith stops the media loops; err is kept as the reason unless the participant has
// stopped already.
func (p *Participant) stopWith(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.stop:
		return
	default:
	}
	p.err = err
	close(p.stop)
	if err != nil {
		p.log.Warn().Err(err).Msg("synthetic: stopped")
	}
}

// Close ends the WHIP session (HTTP DELETE of its Location), closes the peer connection,
// waits for the participant's goroutines and removes its files. It can be called more than
// once; each call returns the first one's result.
func (p *Participant) Close() error {
	p.closeOnce.Do(func() {
		p.stopWith(nil)
		var errs []error
		if p.session != nil {
			ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
			errs = append(errs, deleteSession(ctx, p.http, p.session, p.token))
			cancel()
		}
		if p.pc != nil {
			if err := p.pc.Close(); err != nil {
				errs = append(errs, fmt.Errorf("synthetic: closing the peer connection: %w", err))
			}
		}
		p.wg.Wait()
		p.http.CloseIdleConnections()
		if err := os.RemoveAll(p.dir); err != nil {
			errs = append(errs, fmt.Errorf("synthetic: %w", err))
		}
		p.closeErr = errors.Join(errs...)
	})
	return p.closeErr
}
