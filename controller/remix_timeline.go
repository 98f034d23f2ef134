package controller

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"mediapush/internal/recname"
	"mediapush/raw"
	"mediapush/remix"
	"mediapush/timeline"
)

// remixNotes are what the raw recording's manifest says happened, as timeline notes: joins
// and leaves (a screen share's start and end), microphones and cameras, and the active
// speakers the remix found. The remix covers the whole raw recording, so its timeline is
// exact where a live recording's is as the server heard it.
func remixNotes(m raw.Manifest, speakers []remix.SpeakerChange) []timeline.Note {
	at := func(ms int64) time.Time { return m.StartedAt.Add(time.Duration(ms) * time.Millisecond) }
	var notes []timeline.Note
	for _, p := range m.Publications {
		start, stop := timeline.Join, timeline.Leave
		if p.Kind == raw.Screen {
			start, stop = timeline.ScreenShareStart, timeline.ScreenShareStop
		}
		notes = append(notes, timeline.Note{Kind: start, At: at(p.JoinedMs), StreamID: p.StreamID, Name: p.Name, Presenter: p.Presenter})
		for _, e := range p.Events {
			if e.Kind == timeline.ScreenShareStart || e.Kind == timeline.ScreenShareStop {
				continue // told by the screen's own publication
			}
			notes = append(notes, timeline.Note{Kind: e.Kind, At: at(e.AtMs), StreamID: p.StreamID, Name: p.Name})
		}
		if p.LeftMs != nil {
			notes = append(notes, timeline.Note{Kind: stop, At: at(*p.LeftMs), StreamID: p.StreamID, Name: p.Name, Presenter: p.Presenter})
		}
	}
	for _, s := range speakers {
		if s.StreamID != "" {
			notes = append(notes, timeline.Note{Kind: timeline.ActiveSpeaker, At: at(s.AtMs), StreamID: s.StreamID})
		}
	}
	return notes
}

// writeRemixTimeline writes a remix's timeline files beside its recording name and returns
// their keys.
func (s *Service) writeRemixTimeline(name string, m raw.Manifest, speakers []remix.SpeakerChange) (events, chapters string, err error) {
	span := timeline.Span{Start: m.StartedAt, Duration: time.Duration(*m.EndedMs) * time.Millisecond}
	tl := timeline.Build(name, remixNotes(m, speakers), span)
	doc, err := tl.JSON()
	if err != nil {
		return "", "", err
	}
	events, chapters = recname.Timeline(name)
	for file, b := range map[string][]byte{events: doc, chapters: tl.WebVTT()} {
		if err := os.WriteFile(filepath.Join(s.streamsDir, file), b, 0o644); err != nil {
			os.Remove(filepath.Join(s.streamsDir, events))
			os.Remove(filepath.Join(s.streamsDir, chapters))
			return "", "", fmt.Errorf("timeline: %w", err)
		}
	}
	return events, chapters, nil
}
