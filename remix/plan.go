package remix

import (
	"errors"
	"slices"
	"sort"
	"time"

	"mediapush/raw"
)

// Plan cuts a raw recording into the scenes a layout page is shown: a new scene begins at
// every join, leave and change of active speaker. A participant is listed from its join to
// its leave, as the room API listed it live; speakers are in time order. Scenes that show
// the same thing are one.
func Plan(m raw.Manifest, speakers []SpeakerChange) ([]Scene, error) {
	if m.EndedMs == nil {
		return nil, errors.New("the raw recording has not ended")
	}
	end := *m.EndedMs
	if end <= 0 {
		return nil, errors.New("the raw recording is empty")
	}
	pubs := slices.Clone(m.Publications)
	sort.SliceStable(pubs, func(i, j int) bool { return pubs[i].JoinedMs < pubs[j].JoinedMs })
	cuts := []int64{0, end}
	for _, p := range pubs {
		cuts = append(cuts, p.JoinedMs, leftMs(p, end))
	}
	for _, s := range speakers {
		cuts = append(cuts, s.AtMs)
	}
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)

	var scenes []Scene
	for i := 0; i+1 < len(cuts); i++ {
		from, to := cuts[i], cuts[i+1]
		if from < 0 || to > end || from >= to {
			continue
		}
		s := Scene{FromMs: from, ToMs: to, Participants: []Participant{}}
		for _, p := range pubs {
			if p.JoinedMs <= from && from < leftMs(p, end) {
				s.Participants = append(s.Participants, sceneParticipant(m, p))
			}
		}
		s.Speaker = speakerAt(speakers, from, s.Participants)
		if n := len(scenes); n > 0 && sameView(scenes[n-1], s) {
			scenes[n-1].ToMs = to
			continue
		}
		scenes = append(scenes, s)
	}
	return scenes, nil
}

func leftMs(p raw.Publication, end int64) int64 {
	if p.LeftMs != nil && *p.LeftMs < end {
		return *p.LeftMs
	}
	return end
}

func sceneParticipant(m raw.Manifest, p raw.Publication) Participant {
	return Participant{
		StreamID: p.StreamID, Name: p.Name, Video: p.Video, Audio: p.Audio,
		ScreenShare: p.Kind == raw.Screen, Presenter: p.Presenter,
		JoinedAt: m.StartedAt.Add(time.Duration(p.JoinedMs) * time.Millisecond).UnixMilli(),
		Width:    p.Width, Height: p.Height,
	}
}

// speakerAt is who speaks at ms: the last change before it, while that participant is in the
// room (live, the speaker meter forgets a participant who leaves).
func speakerAt(changes []SpeakerChange, ms int64, present []Participant) string {
	id := ""
	for _, c := range changes {
		if c.AtMs > ms {
			break
		}
		id = c.StreamID
	}
	for _, p := range present {
		if p.StreamID == id {
			return id
		}
	}
	return ""
}

func sameView(a, b Scene) bool {
	return a.Speaker == b.Speaker && slices.Equal(a.Participants, b.Participants)
}
