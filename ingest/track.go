package ingest

import (
	"errors"
	"strings"
	"time"

	"github.com/bluenviron/gortsplib/v5/pkg/format/rtph264"
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtpsimpleaudio"
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtpvp8"
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtpvp9"
	"github.com/bluenviron/gortsplib/v5/pkg/rtpreceiver"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/vp9"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"mediapush/media"
)

// senderReportWait is how long samples wait for the sender's first RTCP sender report, which
// maps RTP time to wall-clock time and so aligns audio with video. Past it, arrival time is used.
const senderReportWait = 3 * time.Second

// maxMappingError is how far a sender-report time may be from the packet's arrival before the
// mapping is not believed.
const maxMappingError = time.Second

// trackReader turns one remote track's RTP into timed samples.
type trackReader struct {
	sess    *Session
	remote  *webrtc.TrackRemote
	recv    *webrtc.RTPReceiver
	track   media.Track
	decode  func(*rtp.Packet) (media.Sample, error)
	clock   *rtpreceiver.Receiver // reorders packets and maps RTP time through sender reports
	emitted bool                  // guarded by sess.mu
	relay   func(*rtp.Packet)     // live viewers' copy; nil for none

	held     []heldSample // samples waiting for the first sender report
	byArrive *arrivalClock
	lastPTS  time.Time
	delay    time.Duration // smoothed arrival less sender time
	timedBy  bool          // delay holds a measurement
}

// delaySmoothing weighs each sample's delay: about a second of samples make the figure.
const delaySmoothing = 0.05

type heldSample struct {
	rtpTime uint32
	arrived time.Time
	s       media.Sample
}

// arrivalClock maps RTP time to wall-clock time from the first packet's arrival, for a sender
// that sends no reports.
type arrivalClock struct {
	rtp0  uint32
	at0   time.Time
	clock int
}

func (c *arrivalClock) at(ts uint32) time.Time {
	return c.at0.Add(time.Duration(int32(ts-c.rtp0)) * time.Second / time.Duration(c.clock))
}

func newTrackReader(s *Session, remote *webrtc.TrackRemote, recv *webrtc.RTPReceiver) (*trackReader, error) {
	codec, err := media.CodecFromMime(remote.Codec().MimeType)
	if err != nil {
		return nil, err
	}
	r := &trackReader{sess: s, remote: remote, recv: recv,
		track: media.Track{Codec: codec, ClockRate: int(remote.Codec().ClockRate), Channels: int(remote.Codec().Channels)}}
	if r.decode, err = depacketizer(codec, remote.Codec().SDPFmtpLine); err != nil {
		return nil, err
	}
	r.clock = &rtpreceiver.Receiver{
		ClockRate:            r.track.ClockRate,
		UnrealiableTransport: true, // NACK retransmissions arrive out of order
		// Receiver reports are sent by the WebRTC stack's own interceptor; this one's are discarded.
		Period:          time.Hour,
		WritePacketRTCP: func(rtcp.Packet) {},
	}
	if err := r.clock.Initialize(); err != nil {
		return nil, err
	}
	if s.cfg.Relay != nil {
		if r.relay, err = s.cfg.Relay(remote.Codec().RTPCodecCapability); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Depacketizer turns one track's RTP packets, in order, into samples (without their PTS):
// a packet that does not end a frame, or a frame broken by loss, gives an error. For a
// recorder of the rooms' relayed streams.
func Depacketizer(codec media.Codec, fmtp string) (func(*rtp.Packet) (media.Sample, error), error) {
	return depacketizer(codec, fmtp)
}

func depacketizer(codec media.Codec, fmtp string) (func(*rtp.Packet) (media.Sample, error), error) {
	switch codec {
	case media.H264:
		d := &rtph264.Decoder{PacketizationMode: 1}
		if strings.Contains(fmtp, "packetization-mode=0") || !strings.Contains(fmtp, "packetization-mode") {
			d.PacketizationMode = 0
		}
		if err := d.Init(); err != nil {
			return nil, err
		}
		return func(p *rtp.Packet) (media.Sample, error) {
			au, err := d.Decode(p)
			return media.Sample{NALUs: au, Keyframe: err == nil && h264.IsRandomAccess(au)}, err
		}, nil
	case media.VP8:
		d := &rtpvp8.Decoder{}
		if err := d.Init(); err != nil {
			return nil, err
		}
		return func(p *rtp.Packet) (media.Sample, error) {
			f, err := d.Decode(p)
			return media.Sample{Frame: f, Keyframe: err == nil && len(f) > 0 && f[0]&0x01 == 0}, err
		}, nil
	case media.VP9:
		d := &rtpvp9.Decoder{}
		if err := d.Init(); err != nil {
			return nil, err
		}
		return func(p *rtp.Packet) (media.Sample, error) {
			f, err := d.Decode(p)
			var h vp9.Header
			return media.Sample{Frame: f, Keyframe: err == nil && h.Unmarshal(f) == nil && !h.NonKeyFrame}, err
		}, nil
	case media.Opus:
		d := &rtpsimpleaudio.Decoder{}
		if err := d.Init(); err != nil {
			return nil, err
		}
		return func(p *rtp.Packet) (media.Sample, error) {
			f, err := d.Decode(p)
			return media.Sample{Frame: f}, err
		}, nil
	}
	return nil, errors.New("no depacketizer for " + string(codec))
}

// run reads RTP and RTCP until the connection closes.
func (r *trackReader) run() {
	defer r.clock.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.readReports()
	}()
	defer func() { <-done }()
	video := r.track.Codec.IsVideo()
	for {
		pkt, _, err := r.remote.ReadRTP()
		if err != nil {
			r.flush()
			return
		}
		if r.relay != nil {
			r.relay(pkt)
		}
		now := time.Now()
		st := &r.sess.stats
		st.lastPacket.Store(now.UnixNano())
		st.bytes.Add(int64(len(pkt.Payload)))
		pkts, lost := r.clock.ProcessPacket2(pkt, now, true)
		if lost > 0 {
			st.lost.Add(int64(lost))
		}
		for _, p := range pkts {
			smp, err := r.decode(p)
			if err != nil {
				if video && lost > 0 {
					r.sess.RequestKeyframe(uint32(r.remote.SSRC())) // a broken frame: ask for a fresh start
				}
				continue // more packets needed, or a frame broken by loss
			}
			if video {
				st.videoFrames.Add(1)
				if smp.Keyframe {
					r.sess.keyframeArrived()
					r.sess.firstFrameOnce.Do(func() { close(r.sess.firstFrame) })
				}
			} else {
				st.audioFrames.Add(1)
			}
			r.timed(p.Timestamp, now, smp)
		}
	}
}

// readReports feeds the track's RTCP sender reports to its clock. Reading RTCP also keeps the
// WebRTC stack's interceptors (NACK, reports) running.
func (r *trackReader) readReports() {
	for {
		pkts, _, err := r.recv.ReadRTCP()
		if err != nil {
			return
		}
		for _, p := range pkts {
			if sr, ok := p.(*rtcp.SenderReport); ok && sr.SSRC == uint32(r.remote.SSRC()) {
				r.clock.ProcessSenderReport(sr, time.Now())
			}
		}
	}
}

// timed gives a sample its wall-clock time from the sender reports and passes it on, holding
// samples until the first report (or the fallback to arrival time).
func (r *trackReader) timed(ts uint32, arrived time.Time, smp media.Sample) {
	r.held = append(r.held, heldSample{rtpTime: ts, arrived: arrived, s: smp})
	if _, ok := r.clock.PacketNTP(ts); !ok && r.byArrive == nil {
		if arrived.Sub(r.held[0].arrived) < senderReportWait {
			return
		}
		r.byArrive = &arrivalClock{rtp0: r.held[0].rtpTime, at0: r.held[0].arrived, clock: r.track.ClockRate}
		r.sess.cfg.Log.Warn().Str("codec", string(r.track.Codec)).Msg("no RTCP sender report: timing by arrival")
	}
	r.emitHeld()
}

// flush passes on the samples still waiting for a sender report, timed by their arrival: the
// connection has ended and no report will come. A session stopped seconds after it began
// keeps what it sent.
func (r *trackReader) flush() {
	if len(r.held) == 0 {
		return
	}
	if r.byArrive == nil {
		r.byArrive = &arrivalClock{rtp0: r.held[0].rtpTime, at0: r.held[0].arrived, clock: r.track.ClockRate}
	}
	r.emitHeld()
}

// emitHeld times the held samples and passes them on.
func (r *trackReader) emitHeld() {
	video := r.track.Codec.IsVideo()
	for _, h := range r.held {
		at, ok := r.clock.PacketNTP(h.rtpTime)
		// The browser's first audio packets carry RTP times that its later sender reports do
		// not map (its audio clock runs before packets flow). A sample whose mapped time is far
		// from its arrival (normally 20–40 ms apart on loopback) is timed by arrival instead.
		if ok && (at.Sub(h.arrived) > maxMappingError || h.arrived.Sub(at) > maxMappingError) {
			ok = false
		}
		if ok {
			r.noteDelay(h.arrived.Sub(at), video)
		}
		if !ok {
			if r.byArrive == nil || h.arrived.Sub(r.byArrive.at(h.rtpTime)).Abs() > maxMappingError {
				r.byArrive = &arrivalClock{rtp0: h.rtpTime, at0: h.arrived, clock: r.track.ClockRate}
			}
			at = r.byArrive.at(h.rtpTime)
		}
		// Successive reports can move the mapping by a hair; never let time run backwards.
		if !r.lastPTS.IsZero() && !at.After(r.lastPTS) {
			at = r.lastPTS.Add(time.Microsecond)
		}
		r.lastPTS = at
		r.sess.emit(video, h.s, at)
	}
	r.held = r.held[:0]
	r.sess.maybeStart()
}

// noteDelay smooths one sample's delay from its sender time to its arrival into the track's
// figure (see Stats.AVOffset).
func (r *trackReader) noteDelay(d time.Duration, video bool) {
	if !r.timedBy {
		r.delay, r.timedBy = d, true
	} else {
		r.delay += time.Duration(delaySmoothing * float64(d-r.delay))
	}
	st := &r.sess.stats
	if video {
		st.videoDelay.Store(int64(r.delay))
		st.videoTimed.Store(true)
	} else {
		st.audioDelay.Store(int64(r.delay))
		st.audioTimed.Store(true)
	}
}
