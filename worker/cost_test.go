package worker

import (
	"os"
	"testing"
	"time"

	"mediapush/internal/procstat"
	"mediapush/recorder"
)

func job720(id string, formats ...recorder.Format) Job {
	return Job{StreamID: id, Width: 1280, Height: 720, Record: formats}
}

func TestKindOf(t *testing.T) {
	for _, c := range []struct {
		job  Job
		want string
	}{
		{job720("a", recorder.MP4), "720p/page/mp4"},
		{job720("a", recorder.MP4, recorder.HLS, recorder.MP4), "720p/page/hls+mp4"},
		{Job{StreamID: "x", Width: 640, Height: 360}, "360p/page/push"},
		{Job{StreamID: "room1_composite", Kind: KindRoom, Room: "room1", Width: 1920, Height: 1080, Record: []recorder.Format{recorder.MP4}}, "1080p/room/mp4"},
		{Job{StreamID: "c_mix_d", Kind: KindMix, Conference: "c", MixID: "d", Width: 960, Height: 540}, "720p/room/push"},
		{Job{StreamID: "c_rtmp_d", Kind: KindMixRTMP, Conference: "c", MixID: "d", Width: 1280, Height: 720}, "720p/room/push"},
		// The kind is the job's field: an id that looks like a room recording's says nothing.
		{Job{StreamID: "room1_composite", Width: 1280, Height: 720}, "720p/page/push"},
		{Job{StreamID: "recording-of-room1", Kind: KindRoom, Room: "room1", Width: 1280, Height: 720}, "720p/room/push"},
		{Job{StreamID: "big", Width: 3840, Height: 2160}, "2160p/page/push"},
		{Job{StreamID: "small", Width: 160, Height: 120}, "360p/page/push"},
	} {
		if got := kindOf(c.job).String(); got != c.want {
			t.Errorf("%+v: kind %s, want %s", c.job, got, c.want)
		}
	}
}

func TestPriorCost(t *testing.T) {
	c := priorCost(job720("a", recorder.MP4))
	if c.Cores < 0.99 || c.Cores > 1.01 || c.Bytes != 450<<20 {
		t.Errorf("720p prior %+v, want 1 core and 450 MiB", c)
	}
	small, big := priorCost(Job{Width: 640, Height: 360}), priorCost(Job{Width: 1920, Height: 1080})
	if !(small.Cores < c.Cores && c.Cores < big.Cores && small.Bytes < c.Bytes && c.Bytes < big.Bytes) {
		t.Errorf("prior does not grow with the pixels: %+v %+v %+v", small, c, big)
	}
	if room := priorCost(Job{StreamID: "r", Kind: KindRoom, Room: "r", Width: 1280, Height: 720}); room.Cores <= c.Cores {
		t.Errorf("a room's layout page costs no more than a page: %+v", room)
	}
}

func TestCostModelLearns(t *testing.T) {
	m := newCostModel()
	j := job720("a", recorder.MP4)
	if got := m.estimate(j); got != priorCost(j) {
		t.Fatalf("before any measurement: %+v, want the prior", got)
	}
	m.learn(kindOf(j), Cost{Cores: 1.0, Bytes: 600 << 20})
	if got := m.estimate(j); got.Cores != 1.0 || got.Bytes != 600<<20 {
		t.Errorf("after one measurement: %+v", got)
	}
	for range 50 {
		m.learn(kindOf(j), Cost{Cores: 0.8, Bytes: 500 << 20})
	}
	if got := m.estimate(j); got.Cores < 0.79 || got.Cores > 0.81 {
		t.Errorf("after many measurements of 0.8: %+v", got)
	}
	// Another kind keeps its prior.
	other := Job{StreamID: "b", Width: 1920, Height: 1080}
	if got := m.estimate(other); got != priorCost(other) {
		t.Errorf("an unmeasured kind: %+v", got)
	}
	// Still pages measure almost nothing; the estimate keeps half the prior.
	still := Job{StreamID: "c", Width: 640, Height: 360}
	for range 50 {
		m.learn(kindOf(still), Cost{Cores: 0.01, Bytes: 1 << 20})
	}
	if got, p := m.estimate(still), priorCost(still); got.Cores < p.Cores/2-1e-9 || got.Bytes < p.Bytes/2 {
		t.Errorf("a kind learnt on still pages: %+v, prior %+v", got, p)
	}
}

// fakeProcs is a sampler over made-up processes: each pid's CPU time and PSS, set by the test.
type fakeProcs struct {
	cpu map[int]time.Duration
	pss map[int]int64 // KiB
}

func (f *fakeProcs) take(pids ...int) procstat.Sample {
	var s procstat.Sample
	for _, p := range pids {
		if cpu, ok := f.cpu[p]; ok {
			s.CPU += cpu
			s.PSSKiB += f.pss[p]
			s.Procs++
		}
	}
	return s
}

func TestMeterMeasuresAndLearns(t *testing.T) {
	procs := &fakeProcs{cpu: map[int]time.Duration{}, pss: map[int]int64{}}
	self := os.Getpid()
	procs.cpu[self], procs.pss[self] = 0, 100<<10 // mediapush: 100 MiB
	procs.cpu[10], procs.pss[10] = 0, 300<<10     // browser
	procs.cpu[11], procs.pss[11] = 0, 100<<10     // its renderer
	model := newCostModel()
	m := newMeter(procs.take, model, 10*time.Second, qualityTargets{minFPS: 29, maxAVOffset: 20 * time.Millisecond, after: 5 * time.Second})
	t0 := time.Unix(1000, 0)
	j := job720("s1", recorder.MP4)
	p := probe{streamID: "s1", kind: kindOf(j), state: Active, activeAt: t0, pids: []int{10, 11}, sharedBy: 1}
	frames := int64(0)
	for i := range 10 {
		now := t0.Add(time.Duration(i) * 2 * time.Second)
		p.media.videoFrames = frames
		m.update(now, []probe{p}, false)
		// Every 2 s: the browser uses 1 s of CPU, the renderer 0.2 s, mediapush 0.2 s: 0.7 core.
		procs.cpu[10] += time.Second
		procs.cpu[11] += 200 * time.Millisecond
		procs.cpu[self] += 200 * time.Millisecond
		frames += 60
	}
	f, ok := m.view("s1")
	if !ok || !f.Measured || !f.Settled {
		t.Fatalf("figures %+v (%v)", f, ok)
	}
	if f.Cost.Cores < 0.69 || f.Cost.Cores > 0.71 || f.Cost.Bytes != 500<<20 {
		t.Errorf("cost %+v, want 0.7 core and 500 MiB (browser 400 + mediapush 100)", f.Cost)
	}
	if !f.FPSKnown || f.FPS != 30 {
		t.Errorf("fps %v (%v), want 30", f.FPS, f.FPSKnown)
	}
	if got := model.estimate(j); got.Cores < 0.69 || got.Cores > 0.71 {
		t.Errorf("learnt %+v, want 0.7 core", got)
	}

	// A browser shared by two sessions charges each half.
	p.sharedBy = 2
	for i := 10; i < 20; i++ {
		m.update(t0.Add(time.Duration(i)*2*time.Second), []probe{p}, false)
		procs.cpu[10] += time.Second
		procs.cpu[11] += 200 * time.Millisecond
	}
	// The browser's 0.6 core and 400 MiB halved, with mediapush's 100 MiB (its CPU now idle).
	if f, _ := m.view("s1"); f.Cost.Cores < 0.29 || f.Cost.Cores > 0.31 || (f.Cost.Bytes-300<<20) > 1<<20 {
		t.Errorf("a browser shared by two: %+v, want 0.3 core and 300 MiB", f.Cost)
	}

	// A session that ended is forgotten.
	m.update(t0.Add(time.Minute), nil, false)
	if _, ok := m.view("s1"); ok {
		t.Error("an ended session is still measured")
	}
}

func TestMeterIgnoresRampUp(t *testing.T) {
	procs := &fakeProcs{cpu: map[int]time.Duration{10: 0}, pss: map[int]int64{10: 1 << 10}}
	model := newCostModel()
	m := newMeter(procs.take, model, 10*time.Second, qualityTargets{minFPS: 29, after: 5 * time.Second})
	t0 := time.Unix(1000, 0)
	j := job720("s1")
	p := probe{streamID: "s1", kind: kindOf(j), state: Starting, pids: []int{10}, sharedBy: 1}
	for i := range 4 {
		m.update(t0.Add(time.Duration(i)*2*time.Second), []probe{p}, false)
		procs.cpu[10] += 4 * time.Second // loading the page: 2 cores
	}
	if got := model.estimate(j); got != priorCost(j) {
		t.Errorf("a starting session was learnt from: %+v", got)
	}
	if f, _ := m.view("s1"); !f.Measured || f.Settled || f.Cost.Cores < 1.9 {
		t.Errorf("starting session's figures: %+v", f)
	}
}

// TestMeterLearnsNothingWhenStarved: sessions on an overloaded node measure the CPU they got,
// not what they need; their kind keeps what it knew.
func TestMeterLearnsNothingWhenStarved(t *testing.T) {
	procs := &fakeProcs{cpu: map[int]time.Duration{10: 0}, pss: map[int]int64{10: 1 << 10}}
	model := newCostModel()
	m := newMeter(procs.take, model, 10*time.Second, qualityTargets{minFPS: 29, after: 5 * time.Second})
	t0 := time.Unix(1000, 0)
	j := job720("s1")
	p := probe{streamID: "s1", kind: kindOf(j), state: Active, activeAt: t0.Add(-time.Minute), pids: []int{10}, sharedBy: 1}
	for i := range 10 {
		m.update(t0.Add(time.Duration(i)*2*time.Second), []probe{p}, true)
		procs.cpu[10] += time.Second
	}
	if got := model.estimate(j); got != priorCost(j) {
		t.Errorf("learnt while overloaded: %+v", got)
	}
	if f, _ := m.view("s1"); f.Cost.Cores < 0.49 || f.Cost.Cores > 0.51 {
		t.Errorf("the session's own figures are still measured: %+v", f.Cost)
	}
}
