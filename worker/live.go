package worker

import (
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"mediapush/rooms"
)

// goLive makes the session a stream of the hub, so its output can be watched as it records.
func (s *session) goLive() error {
	s.mu.Lock()
	again := s.live != nil
	s.mu.Unlock()
	if s.w.cfg.Hub == nil || again {
		return nil // a restarted session's stream goes on
	}
	live, err := s.w.cfg.Hub.Add(rooms.StreamInfo{ID: s.job.StreamID, Kind: rooms.KindMediaPush, Name: s.job.StreamID},
		s.requestKeyframe)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.live = live
	s.mu.Unlock()
	return nil
}

// requestKeyframe asks the page's encoder for a keyframe, for a new viewer or output.
func (s *session) requestKeyframe() {
	s.mu.Lock()
	in := s.in
	s.mu.Unlock()
	if in != nil {
		in.RequestKeyframe(0)
	}
}

// relay passes the captured RTP to the session's live viewers. A session started again after a
// crash relays into the tracks it had.
func (s *session) relay(c webrtc.RTPCodecCapability) (func(*rtp.Packet), error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.live == nil {
		return nil, nil
	}
	if f, ok := s.relays[c.MimeType]; ok {
		return f, nil
	}
	fw, err := s.live.AddTrack(c)
	if err != nil {
		return nil, err
	}
	if s.relays == nil {
		s.relays = map[string]func(*rtp.Packet){}
	}
	s.relays[c.MimeType] = fw.WriteRTP
	return fw.WriteRTP, nil
}
