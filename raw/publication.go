package raw

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media/oggwriter"
	"github.com/rs/zerolog"

	"mediapush/ingest"
	"mediapush/media"
	"mediapush/recorder"
	"mediapush/rooms"
)

// feedDepth is how many packets of a track may wait for its writer: a second and more of
// video at a high rate. The publisher's relay never waits for the recording; a packet that
// finds the queue full is dropped (and counted).
const feedDepth = 1024

// keyframeRetry is how often the publisher is asked again for the keyframe a recording
// begins with, should the first request or its answer be lost.
const keyframeRetry = time.Second

// publication records one publication's tracks, as relayed, into one file.
type publication struct {
	n      int    // number in the manifest, from 1
	path   string // file being written
	joined time.Time
	mf     *manifestFile
	log    zerolog.Logger

	mkv   *recorder.Writer     // video (and audio) publications
	ogg   *oggwriter.OggWriter // audio-only publications
	oggM  sync.Mutex           // oggwriter is not safe for concurrent use
	feeds []*feed
	untap []func()
	wg    sync.WaitGroup

	started atomic.Bool // the file has media: MediaStartMs is known
	stop    chan struct{}
	dropped atomic.Int64
}

// feed carries one track's packets from the relay to the file.
type feed struct {
	video  bool
	decode func(*rtp.Packet) (media.Sample, error)
	clock  rtpClock

	mu     sync.Mutex
	closed bool
	ch     chan arrival
}

type arrival struct {
	p  *rtp.Packet
	at time.Time
}

// rtpClock places a track's RTP timestamps on the publication's clock: the first packet at
// its arrival, the rest by their timestamps from it, unwrapped.
type rtpClock struct {
	rate    int64
	started bool
	last    uint32
	ticks   int64
	origin  time.Duration
}

func (c *rtpClock) pts(ts uint32, arrived time.Duration) time.Duration {
	if !c.started {
		c.started, c.last, c.origin = true, ts, arrived
		return arrived
	}
	c.ticks += int64(int32(ts - c.last))
	c.last = ts
	return c.origin + time.Duration(c.ticks)*time.Second/time.Duration(c.rate)
}

// startPublication begins recording s into path, numbered n in mf's manifest (which holds it
// already). The file is Matroska for a publication with video, Ogg for audio alone.
func startPublication(s *rooms.Stream, n int, path string, mf *manifestFile, log zerolog.Logger) (*publication, error) {
	vc, ac := s.Codecs()
	p := &publication{n: n, path: path, joined: mf.now(), mf: mf, log: log, stop: make(chan struct{})}
	var err error
	var vf, af *feed
	if vc != nil {
		if vf, err = newFeed(*vc, true); err != nil {
			return nil, err
		}
	}
	if ac != nil {
		if af, err = newFeed(*ac, false); err != nil {
			return nil, err
		}
	}
	switch {
	case vf != nil:
		var audio *media.Track
		if af != nil {
			audio = &media.Track{Codec: media.Opus, ClockRate: int(ac.ClockRate), Channels: int(ac.Channels)}
		}
		codec, _ := media.CodecFromMime(vc.MimeType)
		p.mkv, err = recorder.Create(path, media.Track{Codec: codec, ClockRate: int(vc.ClockRate)}, audio)
	case af != nil:
		p.ogg, err = oggwriter.New(path, 48000, max(uint16(ac.Channels), 1))
	default:
		return nil, errors.New("the publication has no track")
	}
	if err != nil {
		return nil, err
	}
	for _, f := range []*feed{vf, af} {
		if f == nil {
			continue
		}
		p.feeds = append(p.feeds, f)
		p.wg.Add(1)
		go p.write(f)
	}
	if af != nil {
		p.untap = append(p.untap, s.TapAudio(p.tap(af)))
	}
	if vf != nil {
		p.untap = append(p.untap, s.TapVideo(p.tap(vf)))
		p.wg.Add(1)
		go p.askKeyframes(s)
	}
	return p, nil
}

func newFeed(c webrtc.RTPCodecCapability, video bool) (*feed, error) {
	codec, err := media.CodecFromMime(c.MimeType)
	if err != nil {
		return nil, err
	}
	if !video && codec != media.Opus {
		return nil, fmt.Errorf("audio codec %s cannot be recorded as relayed", c.MimeType)
	}
	decode, err := ingest.Depacketizer(codec, c.SDPFmtpLine)
	if err != nil {
		return nil, err
	}
	rate := int64(c.ClockRate)
	if rate <= 0 {
		rate = 90000
	}
	return &feed{video: video, decode: decode, clock: rtpClock{rate: rate}, ch: make(chan arrival, feedDepth)}, nil
}

// tap is the relay's side of f: the packet is copied (the relay owns it) and queued.
func (p *publication) tap(f *feed) func(*rtp.Packet) {
	return func(pkt *rtp.Packet) {
		a := arrival{p: pkt.Clone(), at: p.mf.now()}
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.closed {
			return
		}
		select {
		case f.ch <- a:
		default:
			p.dropped.Add(1)
		}
	}
}

// write turns f's packets into samples and writes them.
func (p *publication) write(f *feed) {
	defer p.wg.Done()
	for a := range f.ch {
		pts := f.clock.pts(a.p.Timestamp, a.at.Sub(p.joined))
		if p.ogg != nil {
			p.oggM.Lock()
			err := p.ogg.WriteRTP(a.p)
			p.oggM.Unlock()
			if err == nil && !p.started.Swap(true) {
				p.mediaStarted(pts, 0, 0)
			}
			continue
		}
		smp, err := f.decode(a.p)
		if err != nil {
			continue // more packets needed, or a frame broken by loss
		}
		smp.PTS = pts
		if f.video {
			err = p.mkv.WriteVideo(smp)
			if err == nil && !p.started.Load() {
				if st := p.mkv.Stats(); st.Width > 0 && !p.started.Swap(true) {
					p.mediaStarted(pts, st.Width, st.Height)
				}
			}
		} else {
			err = p.mkv.WriteAudio(smp)
		}
		if err != nil && !errors.Is(err, recorder.ErrClosed) {
			p.log.Error().Err(err).Str("file", p.path).Msg("raw recording: writing the publication failed")
		}
	}
}

// mediaStarted notes where the file's time 0 falls: pts from the join.
func (p *publication) mediaStarted(pts time.Duration, width, height int) {
	at := p.mf.since(p.joined) + pts.Milliseconds()
	if err := p.mf.publication(p.n, func(pub *Publication) {
		pub.MediaStartMs, pub.Width, pub.Height = ms(at), width, height
	}); err != nil {
		p.log.Error().Err(err).Msg("raw recording: the manifest could not be written")
	}
}

// askKeyframes asks the publisher for a keyframe until the file has begun.
func (p *publication) askKeyframes(s *rooms.Stream) {
	defer p.wg.Done()
	t := time.NewTicker(keyframeRetry)
	defer t.Stop()
	for !p.started.Load() {
		select {
		case <-p.stop:
			return
		case <-t.C:
			if !p.started.Load() {
				s.RequestKeyframe()
			}
		}
	}
}

// finish stops the taps, writes what is queued and closes the file; it returns whether the
// file has media (a publication that never sent a keyframe leaves none, and no file).
func (p *publication) finish() (hasMedia bool, err error) {
	for _, u := range p.untap {
		u()
	}
	close(p.stop)
	for _, f := range p.feeds {
		f.mu.Lock()
		f.closed = true
		close(f.ch)
		f.mu.Unlock()
	}
	p.wg.Wait()
	if p.mkv != nil {
		err = p.mkv.Close()
	} else {
		p.oggM.Lock()
		err = p.ogg.Close()
		p.oggM.Unlock()
	}
	if n := p.dropped.Load(); n > 0 {
		p.log.Warn().Int64("packets", n).Str("file", p.path).Msg("raw recording: packets dropped, the disk did not keep up")
	}
	if !p.started.Load() {
		os.Remove(p.path)
		return false, err
	}
	return true, err
}
