package timeline

import (
	"fmt"
	"strings"
	"time"
)

// chapterMerge joins changes this close together into one chapter: four people who join
// within a second are one change to a viewer, not four chapters.
const chapterMerge = time.Second

// chapter is one cue: from its start to the next chapter's.
type chapter struct {
	at      time.Duration
	changes []string
	present []string
}

// WebVTT is the timeline as WebVTT chapters: one cue per stretch in which the same people are
// in the room and the same screen is shared. Each cue says what changed and who is in the
// room: "Bob leaves (Alice, Carol, Dave)".
func (t Timeline) WebVTT() []byte {
	var b strings.Builder
	b.WriteString("WEBVTT\n")
	chapters := t.chapters()
	n := 0
	for i, c := range chapters {
		end := t.duration
		if i+1 < len(chapters) {
			end = chapters[i+1].at
		}
		if end <= c.at {
			continue
		}
		n++
		fmt.Fprintf(&b, "\n%d\n%s --> %s\n%s\n", n, vttTime(c.at), vttTime(end), cueText(c.title()))
	}
	return []byte(b.String())
}

// chapters walks the events, starting a chapter at each change of who is in the room (and of
// the screen shared, and after a pause). Who speaks is in the JSON events only: speakers
// change every few seconds in a conversation, and chapters that follow them would be too
// many to find one's way by.
func (t Timeline) chapters() []chapter {
	names := map[string]string{}
	var order []string
	present := func() []string {
		out := make([]string, 0, len(order))
		for _, id := range order {
			out = append(out, names[id])
		}
		return out
	}
	out := []chapter{{}}
	for _, e := range t.Events {
		change := ""
		switch e.Type {
		case Join:
			names[e.StreamID] = displayName(e.Name, e.StreamID)
			order = append(order, e.StreamID)
			change = names[e.StreamID] + " joins"
		case Leave:
			order = remove(order, e.StreamID)
			change = displayName(e.Name, e.StreamID) + " leaves"
		case ScreenShareStart:
			change = t.sharer(e, names) + " shares a screen"
		case ScreenShareStop:
			change = t.sharer(e, names) + " stops sharing"
		case Resumed:
			change = "recording resumes"
		default:
			continue
		}
		if e.OffRecord && e.at == 0 {
			change = "" // the room as the recording finds it
		}
		last := &out[len(out)-1]
		if e.at-last.at >= chapterMerge {
			out = append(out, chapter{at: e.at})
			last = &out[len(out)-1]
		}
		if change != "" {
			last.changes = append(last.changes, change)
		}
		last.present = present()
	}
	for i := 1; i < len(out); i++ {
		if out[i].present == nil {
			out[i].present = out[i-1].present
		}
	}
	return out
}

// sharer names whose screen a share is: the presenter's name when known.
func (t Timeline) sharer(e Event, names map[string]string) string {
	if n, ok := names[e.Presenter]; ok {
		return n
	}
	return displayName(e.Name, e.StreamID)
}

func (c chapter) title() string {
	who := "nobody in the room"
	if len(c.present) > 0 {
		who = strings.Join(c.present, ", ")
	}
	if len(c.changes) == 0 {
		return who
	}
	return strings.Join(c.changes, "; ") + " (" + who + ")"
}

func displayName(name, id string) string {
	if strings.TrimSpace(name) != "" {
		return name
	}
	return id
}

func remove(list []string, id string) []string {
	out := list[:0:0]
	for _, x := range list {
		if x != id {
			out = append(out, x)
		}
	}
	return out
}

// cueText makes s safe as a cue's one line: names come from participants, so no line break,
// no markup and no "-->".
func cueText(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// vttTime writes d as WebVTT's hh:mm:ss.ttt.
func vttTime(d time.Duration) string {
	ms := d.Milliseconds()
	return fmt.Sprintf("%02d:%02d:%02d.%03d", ms/3_600_000, ms/60_000%60, ms/1000%60, ms%1000)
}
