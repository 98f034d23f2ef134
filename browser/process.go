package browser

import "mediapush/internal/procstat"

// Processes are the processes whose cost the session on this browser bears: the browser and
// every process it started. sharedBy is how many sessions share them (1: the browser is the
// session's own), so that each session is charged its part.
func (b *Browser) Processes() (pids []int, sharedBy int) {
	pid := b.PID()
	if pid == 0 {
		return nil, 1
	}
	return append([]int{pid}, procstat.Descendants(pid)...), 1
}
