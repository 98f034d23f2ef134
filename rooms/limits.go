package rooms

import "fmt"

// fullError is a refusal by a limit: its message is for the client, and it is ErrFull.
type fullError string

func (e fullError) Error() string        { return string(e) }
func (e fullError) Is(target error) bool { return target == ErrFull }

// admitPublisher refuses a stream joining a room that has max streams already; max ≤ 0 is no
// limit.
func admitPublisher(room string, inRoom, max int) error {
	if max > 0 && inRoom >= max {
		return fullError(fmt.Sprintf("room %s is full: it has as many publishers as allowed (%d)", room, max))
	}
	return nil
}

// admitViewer refuses a viewer of a stream that has max viewers already; max ≤ 0 is no limit.
func admitViewer(stream string, viewers, max int) error {
	if max > 0 && viewers >= max {
		return fullError(fmt.Sprintf("stream %s has as many viewers as allowed (%d)", stream, max))
	}
	return nil
}
