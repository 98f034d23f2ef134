package rooms

import (
	"errors"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

func TestRoomPublisherLimit(t *testing.T) {
	h, err := New(Config{MaxPublishers: 2, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	a, err := h.Add(StreamInfo{ID: "a", Room: "r"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Add(StreamInfo{ID: "b", Room: "r"}, nil); err != nil {
		t.Fatal(err)
	}
	_, err = h.Add(StreamInfo{ID: "c", Room: "r"}, nil)
	if !errors.Is(err, ErrFull) || err.Error() != "room r is full: it has as many publishers as allowed (2)" {
		t.Fatalf("third publisher of a room of 2: %v, want ErrFull naming the room and the limit", err)
	}
	if _, ok := h.Stream("c"); ok {
		t.Error("the refused publisher is registered")
	}
	if _, err := h.Add(StreamInfo{ID: "d", Room: "other"}, nil); err != nil {
		t.Errorf("another room: %v", err)
	}
	if _, err := h.Add(StreamInfo{ID: "e"}, nil); err != nil {
		t.Errorf("a stream in no room: %v", err)
	}
	a.Close("left")
	<-a.Done()
	if _, err := h.Add(StreamInfo{ID: "c", Room: "r"}, nil); err != nil {
		t.Errorf("after one left the room takes a publisher again: %v", err)
	}
}

func TestStreamViewerLimit(t *testing.T) {
	h, err := New(Config{MaxViewers: 2, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	s, err := h.Add(StreamInfo{ID: "s"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	v1, v2 := &viewer{stream: s}, &viewer{stream: s}
	for _, v := range []*viewer{v1, v2} {
		if err := s.addViewer(v); err != nil {
			t.Fatal(err)
		}
	}
	err = s.addViewer(&viewer{stream: s})
	if !errors.Is(err, ErrFull) || !strings.Contains(err.Error(), "stream s has as many viewers as allowed (2)") {
		t.Fatalf("third viewer of 2: %v", err)
	}
	if n := s.viewerCount(); n != 2 {
		t.Errorf("%d viewers after a refusal, want 2", n)
	}
	s.removeViewer(v1)
	v3 := &viewer{stream: s}
	if err := s.addViewer(v3); err != nil {
		t.Errorf("after one left: %v", err)
	}
	// These viewers have no connection for the stream's end to close.
	s.removeViewer(v2)
	s.removeViewer(v3)
}

func TestLimitsOff(t *testing.T) {
	for n := range 3 {
		if admitPublisher("r", n*1000, -1) != nil || admitViewer("s", n*1000, -1) != nil {
			t.Errorf("a negative limit refused at %d", n*1000)
		}
	}
	h, err := New(Config{Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if h.cfg.MaxPublishers != DefaultMaxPublishers || h.cfg.MaxViewers != DefaultMaxViewers {
		t.Errorf("defaults: %d publishers, %d viewers", h.cfg.MaxPublishers, h.cfg.MaxViewers)
	}
}
