package controller

import "sync"

// roomHooks are the functions told when a room's recording changes.
type roomHooks struct {
	mu    sync.Mutex
	funcs []func(room string)
}

// OnRoomRecordingChanged registers f, called with the room's id whenever the room's
// recording ({room}_composite) starts, becomes active, ends or fails, and after each start
// and stop call: the room's isRecording (its broadcast's metaData) may have changed. f runs
// on the caller's goroutine and must not block.
func (s *Service) OnRoomRecordingChanged(f func(room string)) {
	s.roomHooks.mu.Lock()
	s.roomHooks.funcs = append(s.roomHooks.funcs, f)
	s.roomHooks.mu.Unlock()
}

// OnRoomRecordingChanged registers f with the node's service; see Service.OnRoomRecordingChanged.
func (c *Controller) OnRoomRecordingChanged(f func(room string)) { c.svc.OnRoomRecordingChanged(f) }

// roomRecordingChanged tells the hooks about room.
func (s *Service) roomRecordingChanged(room string) {
	s.roomHooks.mu.Lock()
	funcs := s.roomHooks.funcs
	s.roomHooks.mu.Unlock()
	for _, f := range funcs {
		f(room)
	}
}
