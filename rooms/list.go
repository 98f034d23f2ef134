package rooms

import "slices"

// Rooms lists the rooms somebody takes part in now, by id.
func (h *Hub) Rooms() []string {
	h.mu.Lock()
	seen := map[string]bool{}
	for _, s := range h.streams {
		if s.info.Room != "" {
			seen[s.info.Room] = true
		}
	}
	h.mu.Unlock()
	out := make([]string, 0, len(seen))
	for r := range seen {
		out = append(out, r)
	}
	slices.Sort(out)
	return out
}
