package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"mediapush/internal/mediacheck"
	"mediapush/internal/procstat"
)

// TestClusterLostWorkerContinuesTheRecording kills a worker process and its Chromium with
// SIGKILL in the middle of a recording, as a machine lost would: the controller rebuilds what
// the worker had copied to the spool, the session goes on on the other worker, and at stop one
// recording is listed and announced, lasting the time recorded less the gap, the gap a chapter.
func TestClusterLostWorkerContinuesTheRecording(t *testing.T) {
	h := newHookReceiver(t)
	c := startCluster(t, []string{"--node-timeout", "2s", "--webhook-url", h.srv.URL + "/hooks"},
		[]string{"--warm-browsers", "1"}, []string{"MEDIAPUSH_WEBHOOK_SECRET=" + string(hookSecret)})
	s := c.s
	const id = "lost1"
	if r := s.start(id, map[string]any{"url": s.page("test-pattern.html"), "width": 640, "height": 360, "recordType": "mp4"}); !r.Success {
		t.Fatalf("start: %s", r.msg())
	}
	began := time.Now()
	victim := s.workerOf(id)
	other := map[string]string{"w1": "w2", "w2": "w1"}[victim]
	if other == "" {
		t.Fatalf("%s runs on %q", id, victim)
	}
	time.Sleep(6 * time.Second) // the first part

	// The machine is lost: the worker and its browsers die at once, nothing is finished.
	data := c.workerData[slices.Index([]string{"w1", "w2"}, victim)]
	pids := append(procstat.Matching(data), c.workers[victim].cmd.Process.Pid)
	for _, pid := range pids {
		syscall.Kill(pid, syscall.SIGKILL) //nolint:errcheck // some exit with their parent
	}
	killedAt := time.Now()
	c.workers[victim].wait(t, 30*time.Second)
	until(t, id+" running on "+other, 60*time.Second, func() bool {
		return s.workerOf(id) == other && s.broadcast(id).State == "ACTIVE"
	})
	backAt := time.Now()
	t.Logf("%s killed; %s runs the session again %s later", victim, other, backAt.Sub(killedAt).Round(time.Millisecond))
	if p := s.parts(id); p.Parts != 2 || p.Gaps != 1 {
		t.Errorf("the broadcast while on %s: %+v; want part 2 of 2, one gap", other, p)
	}
	// Watched through the controller, the session is the other worker's stream now.
	watcher := watchLive(t, s, id, 30*time.Second)
	t.Logf("%s watched through the controller %s after the kill: %d video frames from %s",
		id, time.Since(killedAt).Round(time.Millisecond), watcher.videoFrames.Load(), other)
	time.Sleep(max(0, 6*time.Second-time.Since(backAt))) // the second part
	wall := time.Since(began)
	if r := s.stop(id); !r.Success {
		t.Fatalf("stop: %s", r.msg())
	}

	var mine []storedVoD
	for _, v := range storedVoDs(s, id) {
		if v.Format != "hls" {
			mine = append(mine, v)
		}
	}
	if len(mine) != 1 || mine[0].Format != "mp4" || mine[0].Partial {
		t.Fatalf("VoDs of the session: %+v; want one whole mp4", mine)
	}
	v := mine[0]
	var info struct {
		Gaps []struct{ At, Duration int64 } `json:"gaps"`
	}
	if err := json.Unmarshal([]byte(v.Info), &info); err != nil || len(info.Gaps) != 1 {
		t.Fatalf("the VoD's info %q: want one gap (%v)", v.Info, err)
	}
	gap := time.Duration(info.Gaps[0].Duration) * time.Millisecond
	t.Logf("gap in the recording: %s (kill → part 2 seen by the test: %s)", gap, backAt.Sub(killedAt).Round(time.Millisecond))
	// The gap is what was lost: at most a spool interval (2 s) not copied before the kill, the
	// node timeout and the start on the other worker, within what the test saw.
	if gap <= 0 || gap > backAt.Sub(killedAt)+2500*time.Millisecond {
		t.Errorf("gap of %s; want some, and at most the %s from the kill to part 2 plus the 2 s not copied", gap, backAt.Sub(killedAt).Round(time.Millisecond))
	}

	path := s.download(v.vod)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := mediacheck.Decodes(ctx, path); err != nil {
		t.Errorf("the recording does not decode cleanly: %v", err)
	}
	probe, err := mediacheck.Probe(ctx, path)
	if err != nil || probe.Video == nil || probe.Audio == nil || probe.Video.Width != 640 || probe.Video.Height != 360 {
		t.Fatalf("probe: %+v %v", probe, err)
	}
	if want := wall - gap; !closeTo(probe.Duration, want, 1500*time.Millisecond) {
		t.Errorf("the recording lasts %s; recorded for %s less a %s gap: %s", probe.Duration, wall.Round(time.Millisecond), gap, want.Round(time.Millisecond))
	}
	t.Logf("%s: %s, %.2f fps, recorded for %s with a %s gap", v.VodName, probe.Duration, probe.Video.FPS, wall.Round(time.Millisecond), gap)
	cs := chapters(t, path)
	if len(cs) != 2 || !strings.Contains(cs[0].Title, "Part 1") || !strings.Contains(cs[1].Title, "Part 2") || !strings.Contains(cs[1].Title, "worker was lost") {
		t.Errorf("chapters %+v; want Part 1, then Part 2 after the pause the lost worker made", cs)
	}
	for i, ch := range cs {
		t.Logf("chapter %d: %s–%s %q", i+1, ch.Start.Round(time.Millisecond), ch.End.Round(time.Millisecond), ch.Title)
	}

	waitFor(t, "the recording announced", 30*time.Second, func() bool { return len(h.announced(t)) > 0 })
	if got := h.announced(t); len(got) != 1 || len(got[v.VodName]) != 1 {
		t.Errorf("Recordings.Available for %v; want one, for %s", keys(got), v.VodName)
	}
	states := h.states(t, id)
	if slices.Contains(states, "FAILED") || len(states) == 0 || states[len(states)-1] != "COMPLETE" {
		t.Errorf("Session.State webhooks: %v; want no FAILED, COMPLETE last", states)
	}
	h.checkDeliveries(t)

	// Nothing of the lost worker's copy is left in the spool.
	for _, dir := range []string{filepath.Join(s.data, "spool", victim), filepath.Join(s.data, "spool", ".continued")} {
		left, _ := os.ReadDir(dir)
		if len(left) != 0 {
			t.Errorf("%s keeps %d entries after the recording was saved", dir, len(left))
		}
	}
}
