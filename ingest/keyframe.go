package ingest

import (
	"time"

	"github.com/pion/rtcp"
)

// The browser's encoder ignores a picture loss indication that comes soon after its last
// keyframe (Chromium 156 drops one 150 ms after), so a request that finds the encoder so is
// lost, and a recording turned on then would wait for the next periodic keyframe, two
// seconds away. A request is therefore repeated until a keyframe arrives, for at most
// keyframeRetries tries.
const (
	keyframeRetryEvery = 100 * time.Millisecond
	keyframeRetries    = 20
)

// RequestKeyframe asks the browser for a keyframe on ssrc (0: the video track), again every
// keyframeRetryEvery until one arrives.
func (s *Session) RequestKeyframe(ssrc uint32) {
	s.mu.Lock()
	if ssrc == 0 && s.video != nil {
		ssrc = uint32(s.video.remote.SSRC())
	}
	s.keyframeWanted = true
	if s.keyframeRetry == nil && !s.closed {
		s.keyframeRetry = time.AfterFunc(keyframeRetryEvery, func() { s.retryKeyframe(ssrc, 1) })
	}
	s.mu.Unlock()
	s.sendPLI(ssrc)
}

func (s *Session) retryKeyframe(ssrc uint32, try int) {
	s.mu.Lock()
	if !s.keyframeWanted || s.closed || try >= keyframeRetries {
		s.keyframeRetry = nil
		s.mu.Unlock()
		return
	}
	s.keyframeRetry = time.AfterFunc(keyframeRetryEvery, func() { s.retryKeyframe(ssrc, try+1) })
	s.mu.Unlock()
	s.sendPLI(ssrc)
}

// keyframeArrived ends the repeats of a keyframe request.
func (s *Session) keyframeArrived() {
	s.mu.Lock()
	s.keyframeWanted = false
	s.mu.Unlock()
}

// stopKeyframeRetry ends the repeats when the session closes; s.mu is held.
func (s *Session) stopKeyframeRetry() {
	if s.keyframeRetry != nil {
		s.keyframeRetry.Stop()
		s.keyframeRetry = nil
	}
}

// sendPLI sends a picture loss indication for ssrc.
func (s *Session) sendPLI(ssrc uint32) {
	s.mu.Lock()
	pc := s.pc
	s.mu.Unlock()
	if pc != nil && ssrc != 0 {
		pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: ssrc}}) //nolint:errcheck // best effort
	}
}
