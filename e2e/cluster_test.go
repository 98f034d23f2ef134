package e2e

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"mediapush/cluster"
	"mediapush/controller"
	"mediapush/internal/mediacheck"
	"mediapush/internal/procstat"
)

// clusterProc is a mediapush process the test started: serve or worker.
type clusterProc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan error
}

func startProc(t *testing.T, bin, name string, args ...string) *clusterProc {
	t.Helper()
	return startProcEnv(t, bin, name, nil, args...)
}

// startProcEnv starts a mediapush process with env added to the test's environment.
func startProcEnv(t *testing.T, bin, name string, env []string, args ...string) *clusterProc {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// The token travels in the environment, never on the command line.
	cmd.Env = append(append(os.Environ(), "MEDIAPUSH_CLUSTER_TOKEN=e2e-cluster-token-0123456789"), env...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &clusterProc{name: name, cmd: cmd, log: logPath, done: make(chan error, 1)}
	go func() {
		p.done <- cmd.Wait()
		logFile.Close()
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			cmd.Process.Signal(syscall.SIGTERM) //nolint:errcheck // it may be exiting
			select {
			case <-p.done:
			case <-time.After(time.Minute):
				cmd.Process.Kill() //nolint:errcheck // last resort
				<-p.done
			}
		}
		if t.Failed() {
			out, _ := os.ReadFile(logPath)
			t.Logf("%s's log:\n%s", name, tail(string(out), 40))
		}
	})
	return p
}

func tail(s string, lines int) string {
	l := strings.Split(s, "\n")
	return strings.Join(l[max(len(l)-lines, 0):], "\n")
}

// wait waits for the process to exit and returns its exit code.
func (p *clusterProc) wait(t *testing.T, within time.Duration) int {
	t.Helper()
	select {
	case err := <-p.done:
		p.done <- err // for the cleanup
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		return 0
	case <-time.After(within):
		t.Fatalf("%s did not exit within %s", p.name, within)
	}
	return -1
}

func freeLoopbackPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

type nodeInfo struct {
	ID       string   `json:"id"`
	Sessions []string `json:"sessions"`
	Draining bool     `json:"draining"`
	Live     bool     `json:"live"`
}

func (s *service) nodes() map[string]nodeInfo {
	s.t.Helper()
	var list []nodeInfo
	if code := s.getJSON("/api/v1/nodes", &list); code != http.StatusOK {
		s.t.Fatalf("GET /api/v1/nodes: HTTP %d", code)
	}
	m := map[string]nodeInfo{}
	for _, n := range list {
		m[n.ID] = n
	}
	return m
}

// until polls cond, bounded.
func until(t *testing.T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (s *service) workerOf(streamID string) string {
	s.t.Helper()
	var b struct {
		WorkerID string `json:"workerId"`
	}
	s.getJSON("/live/rest/v2/broadcasts/"+streamID, &b)
	return b.WorkerID
}

// testCluster is a controller process without sessions of its own and two worker processes,
// w1 and w2, that each hold one session.
type testCluster struct {
	s          *service
	serve      *clusterProc
	workers    map[string]*clusterProc
	workerData []string
	// bin, serveArgs and env start serve again on the same data directory and ports.
	bin       string
	serveArgs []string
	env       []string
}

// restartServe stops the controller with SIGTERM (its embedded NATS server with it) and
// starts it again on the same data directory and ports.
func (c *testCluster) restartServe(t *testing.T) {
	t.Helper()
	if code := c.serve.stopWith(t, syscall.SIGTERM); code != 0 {
		t.Fatalf("serve exited with %d", code)
	}
	c.serve = startProcEnv(t, c.bin, "serve-again", c.env, c.serveArgs...)
	c.s.awaitHealthy(t)
}

func (s *service) awaitHealthy(t *testing.T) {
	until(t, "serve answering", 30*time.Second, func() bool {
		resp, err := http.Get(s.base + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == http.StatusOK
	})
}

// startCluster builds mediapush and starts the cluster; serveArgs and env add to serve's,
// workerArgs to the workers' (a flag given again takes the later value).
func startCluster(t *testing.T, serveArgs, workerArgs, env []string) testCluster {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "mediapush")
	build := exec.Command("go", "build", "-o", bin, "./cmd/mediapush")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ctlData := t.TempDir()
	httpPort, natsPort := freeLoopbackPort(t), freeLoopbackPort(t)
	args := append([]string{"serve", "--addr", fmt.Sprintf("127.0.0.1:%d", httpPort), "--data", ctlData,
		"--nats-listen", fmt.Sprintf("127.0.0.1:%d", natsPort), "--local-sessions=false", "--allow-destination", "127.0.0.0/8"}, serveArgs...)
	serve := startProcEnv(t, bin, "serve", env, args...)
	s := &service{t: t, base: fmt.Sprintf("http://127.0.0.1:%d", httpPort), data: ctlData}
	s.awaitHealthy(t)
	c := testCluster{s: s, serve: serve, workers: map[string]*clusterProc{}, bin: bin, serveArgs: args, env: env}
	for _, id := range []string{"w1", "w2"} {
		data := t.TempDir()
		c.workerData = append(c.workerData, data)
		args := []string{"worker", "--nats", fmt.Sprintf("nats://127.0.0.1:%d", natsPort),
			"--data", data, "--streams", filepath.Join(ctlData, "streams"), "--node-id", id,
			// One 640x360 session each: counted by sessions, the measured budget left out so
			// that other load on this machine cannot change the outcome.
			"--max-sessions", "1", "--cpu-budget", "0", "--memory-budget", "0", "--warm-browsers", "0",
			"--allow-destination", "127.0.0.0/8",
			// Where the sessions' live streams go, to be watched through the controller.
			"--controller-url", s.base}
		c.workers[id] = startProc(t, bin, id, append(args, workerArgs...)...)
	}
	until(t, "both workers heard", 30*time.Second, func() bool {
		n := s.nodes()
		return n["w1"].Live && n["w2"].Live
	})
	return c
}

// TestClusterTwoWorkers runs a controller without sessions of its own and two worker
// processes that each hold one 640x360 session: starts spread over them, a third is refused
// with the reason, recordings land in the controller's catalog, and a worker stopped with
// SIGTERM drains: it takes no new start and exits 0 once its session is stopped.
func TestClusterTwoWorkers(t *testing.T) {
	c := startCluster(t, nil, nil, nil)
	s, workers, workerData := c.s, c.workers, c.workerData
	page := map[string]any{"url": s.page("test-pattern.html"), "width": 640, "height": 360, "recordType": "mp4"}

	for _, id := range []string{"c1", "c2"} {
		began := time.Now()
		if r := s.start(id, page); !r.Success {
			t.Fatalf("start %s: %s", id, r.msg())
		}
		t.Logf("start %s answered in %s", id, time.Since(began).Round(time.Millisecond))
	}
	on1, on2 := s.workerOf("c1"), s.workerOf("c2")
	if on1 == "" || on2 == "" || on1 == on2 {
		t.Errorf("c1 runs on %q, c2 on %q: want one on each worker", on1, on2)
	}
	until(t, "the nodes list a session each", 10*time.Second, func() bool {
		n := s.nodes()
		return len(n["w1"].Sessions) == 1 && len(n["w2"].Sessions) == 1
	})
	began := time.Now()
	if r := s.start("c3", page); r.Success || !strings.Contains(r.msg(), "no worker node can take") || !strings.Contains(r.msg(), "sessions") {
		t.Errorf("third start: success %v, %q; want a refusal that says the workers' sessions are taken", r.Success, r.msg())
	} else {
		t.Logf("third start refused in %s: %s", time.Since(began).Round(time.Millisecond), r.msg())
	}
	time.Sleep(3 * time.Second) // media to record
	for _, id := range []string{"c1", "c2"} {
		began := time.Now()
		if r := s.stop(id); !r.Success {
			t.Fatalf("stop %s: %s", id, r.msg())
		}
		t.Logf("stop %s answered in %s", id, time.Since(began).Round(time.Millisecond))
		checkClusterVoD(t, s, id)
	}

	// Drain: a worker told to stop finishes what it runs and takes nothing new.
	if r := s.start("d1", page); !r.Success {
		t.Fatalf("start d1: %s", r.msg())
	}
	drainer := s.workerOf("d1")
	other := map[string]string{"w1": "w2", "w2": "w1"}[drainer]
	if other == "" {
		t.Fatalf("d1 runs on %q", drainer)
	}
	if err := workers[drainer].cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	signalled := time.Now()
	until(t, drainer+" draining", 10*time.Second, func() bool { return s.nodes()[drainer].Draining })
	t.Logf("%s listed as draining %s after SIGTERM", drainer, time.Since(signalled).Round(time.Millisecond))
	if r := s.start("d2", page); !r.Success {
		t.Fatalf("start d2 while %s drains: %s", drainer, r.msg())
	}
	if got := s.workerOf("d2"); got != other {
		t.Errorf("d2 runs on %q, want %s (%s drains)", got, other, drainer)
	}
	time.Sleep(2 * time.Second)
	if r := s.stop("d1"); !r.Success {
		t.Fatalf("stop d1 on the draining worker: %s", r.msg())
	}
	checkClusterVoD(t, s, "d1")
	if code := workers[drainer].wait(t, time.Minute); code != 0 {
		t.Errorf("the drained worker exited with %d, want 0", code)
	}
	if r := s.stop("d2"); !r.Success {
		t.Fatalf("stop d2: %s", r.msg())
	}
	checkClusterVoD(t, s, "d2")
	if code := workers[other].stopWith(t, syscall.SIGTERM); code != 0 {
		t.Errorf("worker %s exited with %d", other, code)
	}
	for _, data := range workerData {
		if pids := procstat.Matching(data); len(pids) > 0 {
			t.Errorf("%d processes still run on %s after its worker exited", len(pids), data)
		}
	}
}

func (p *clusterProc) stopWith(t *testing.T, sig syscall.Signal) int {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	return p.wait(t, time.Minute)
}

// checkClusterVoD asserts a stopped session's recording is listed when stop answers, whole,
// and plays.
func checkClusterVoD(t *testing.T, s *service, id string) {
	t.Helper()
	if b := s.broadcast(id); b.State != "COMPLETE" {
		t.Errorf("%s after stop: %+v", id, b)
	}
	v := s.vodOf(id)
	if v.Partial || v.FileSize == 0 {
		t.Errorf("%s's VoD: %+v, want a whole file", id, v)
	}
	path := s.download(v)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	info, err := mediacheck.Probe(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Video == nil || info.Video.Width != 640 || info.Video.Height != 360 || info.Duration < time.Second {
		t.Errorf("%s's recording: %+v, want 640x360 video of a second or more", id, info)
	}
	t.Logf("%s: %s, %d bytes", id, info.Duration, info.Size)
}

// TestClusterLocalNode records a page in cluster mode on the controller's own node: the same
// session, its events through JetStream, its broadcast naming the node.
func TestClusterLocalNode(t *testing.T) {
	broker, err := cluster.StartBroker(cluster.BrokerConfig{Listen: "127.0.0.1:0", StoreDir: filepath.Join(t.TempDir(), "nats")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(broker.Close)
	nc, err := cluster.Connect(broker.URL(), "", "e2e", zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	s := startService(t, func(cfg *controller.Config) { cfg.Cluster = controller.ClusterConfig{Conn: nc, NodeID: "ctl"} })
	until(t, "the controller's node heard", 10*time.Second, func() bool { return s.nodes()["ctl"].Live })
	r := s.start("local", map[string]any{"url": s.page("test-pattern.html"), "width": 640, "height": 360, "recordType": "mp4"})
	if !r.Success {
		t.Fatalf("start: %s", r.msg())
	}
	if b := s.broadcast("local"); b.State != "ACTIVE" || s.workerOf("local") != "ctl" {
		t.Errorf("while recording: %+v on %q, want ACTIVE on ctl", b, s.workerOf("local"))
	}
	time.Sleep(2 * time.Second)
	if r := s.stop("local"); !r.Success {
		t.Fatalf("stop: %s", r.msg())
	}
	checkClusterVoD(t, s, "local")
}
