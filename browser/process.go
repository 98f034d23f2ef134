package browser

import (
	"github.com/chromedp/chromedp"

	"mediapush/internal/procstat"
)

// PID is the browser process id, or 0.
func (b *Browser) PID() int {
	if c := chromedp.FromContext(b.ctx); c != nil && c.Browser != nil && c.Browser.Process() != nil {
		return c.Browser.Process().Pid
	}
	return 0
}

// Processes are the browser process and every process below it.
func (b *Browser) Processes() []int {
	pid := b.PID()
	if pid == 0 {
		return nil
	}
	return append([]int{pid}, procstat.Descendants(pid)...)
}

// PID is the process id of the tab's browser, or 0.
func (t *Tab) PID() int { return t.b.PID() }

// Processes are the OS processes whose cost the session bears: its browser's process tree, and
// how many sessions share it (the tabs open in that browser; 1 for a browser of its own).
func (t *Tab) Processes() (pids []int, sharedBy int) {
	t.b.mu.Lock()
	sharedBy = max(t.b.tabs, 1)
	t.b.mu.Unlock()
	return t.b.Processes(), sharedBy
}
