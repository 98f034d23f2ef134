package rooms

import (
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// Watcher hears of WHIP publications that begin and end. A publication begins once its tracks
// are known (from its first packets): Stream.localTracks is complete when a watcher hears of it.
// A media-push session's stream relayed from a worker node is not a participant's publication:
// watchers do not hear of it, as they do not of one recorded in this process.
type Watcher func(info StreamInfo, started bool)

// Watch adds a watcher. It is called outside the hub's locks, and must not block for long.
func (h *Hub) Watch(w Watcher) {
	h.mu.Lock()
	h.watchers = append(h.watchers, w)
	h.mu.Unlock()
}

func (h *Hub) notify(info StreamInfo, started bool) {
	if info.Kind != KindWHIP {
		return
	}
	h.mu.Lock()
	watchers := h.watchers
	h.mu.Unlock()
	for _, w := range watchers {
		w(info, started)
	}
}

// TapAudio passes every audio packet of the stream, as it is relayed, to f (a recorder of the
// participant's own sound) until untap is called.
func (s *Stream) TapAudio(f func(*rtp.Packet)) (untap func()) {
	return s.addTap(&s.taps, f)
}

// TapVideo passes every video packet of the stream, as it is relayed, to f (a recorder of the
// participant's own picture) until untap is called. The publisher is asked for a keyframe at
// once, whatever viewers asked for lately: a recording begins at its first keyframe.
func (s *Stream) TapVideo(f func(*rtp.Packet)) (untap func()) {
	untap = s.addTap(&s.videoTaps, f)
	s.mu.Lock()
	s.lastKeyRq = time.Time{}
	s.mu.Unlock()
	s.RequestKeyframe()
	return untap
}

// Codecs are the codecs of the stream's tracks, nil for a track it does not have.
func (s *Stream) Codecs() (video, audio *webrtc.RTPCodecCapability) {
	for _, t := range s.localTracks() {
		c := t.Codec()
		if t.Kind() == webrtc.RTPCodecTypeVideo {
			video = &c
		} else {
			audio = &c
		}
	}
	return video, audio
}

// addTap adds f to the taps of one kind; taps are copied on change so that packets read them
// without a lock.
func (s *Stream) addTap(taps *atomic.Pointer[map[int]func(*rtp.Packet)], f func(*rtp.Packet)) (untap func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.nextTap
	s.nextTap++
	next := map[int]func(*rtp.Packet){id: f}
	for k, v := range loadTaps(taps) {
		next[k] = v
	}
	taps.Store(&next)
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		rest := map[int]func(*rtp.Packet){}
		for k, v := range loadTaps(taps) {
			if k != id {
				rest[k] = v
			}
		}
		taps.Store(&rest)
	}
}

func loadTaps(taps *atomic.Pointer[map[int]func(*rtp.Packet)]) map[int]func(*rtp.Packet) {
	if t := taps.Load(); t != nil {
		return *t
	}
	return nil
}
