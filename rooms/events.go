package rooms

import "github.com/pion/rtp"

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
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.nextTap
	s.nextTap++
	taps := map[int]func(*rtp.Packet){id: f}
	for k, v := range s.audioTaps() {
		taps[k] = v
	}
	s.taps.Store(&taps)
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		rest := map[int]func(*rtp.Packet){}
		for k, v := range s.audioTaps() {
			if k != id {
				rest[k] = v
			}
		}
		s.taps.Store(&rest)
	}
}

func (s *Stream) audioTaps() map[int]func(*rtp.Packet) {
	if t := s.taps.Load(); t != nil {
		return *t
	}
	return nil
}
