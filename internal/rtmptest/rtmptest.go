// Package rtmptest runs a real RTMP server for tests: Debian's nginx with its RTMP module,
// on a free loopback port, recording every stream pushed to it into FLV files the test can
// probe. A test can also take the server away mid-push and bring it back.
package rtmptest

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// logName is nginx's log in the server's directory: its own error_log and whatever it
// prints before it has read the configuration.
const logName = "error.log"

// How long nginx may take to accept connections after it is started.
const startTimeout = 10 * time.Second

// errPortTaken is a bind failure: the port picked as free was taken before nginx bound it.
var errPortTaken = errors.New("port taken")

// Server is an nginx with the RTMP module, run for one test on a free loopback port.
type Server struct {
	dir    string // nginx's prefix: nginx.conf, nginx.pid, error.log
	recDir string // record_path
	binary string
	port   int

	mu   sync.Mutex
	cmd  *exec.Cmd     // nil while stopped
	done chan struct{} // closed once cmd has exited and been reaped
}

// Start runs an RTMP server for the rest of the test and stops it at the test's end. A
// missing nginx or RTMP module fails the test: scripts/deps.sh installs them.
func Start(t testing.TB) *Server {
	t.Helper()
	binary, module, err := findNginx()
	if errors.Is(err, errNotInstalled) {
		t.Fatalf("%v (scripts/deps.sh installs nginx and libnginx-mod-rtmp)", err)
	}
	dir := t.TempDir()
	s := &Server{dir: dir, recDir: filepath.Join(dir, "rec"), binary: binary}
	if err := os.Mkdir(s.recDir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.shutdown)
	// The port is found free by binding port 0 and letting it go, so another process can
	// take it before nginx binds it: then pick another.
	for attempt := 1; ; attempt++ {
		if s.port, err = freePort(); err != nil {
			t.Fatal(err)
		}
		if err := writeConfig(dir, module, s.recDir, s.port); err != nil {
			t.Fatal(err)
		}
		err = s.launch()
		if err == nil {
			return s
		}
		if !errors.Is(err, errPortTaken) || attempt == 5 {
			t.Fatalf("rtmptest: %v", err)
		}
	}
}

// URL is where to publish (or play) a stream: rtmp://127.0.0.1:PORT/live/<stream>.
func (s *Server) URL(stream string) string {
	return fmt.Sprintf("rtmp://127.0.0.1:%d/live/%s", s.port, stream)
}

// Recordings returns the FLV files nginx recorded for a stream, oldest first: one for each
// time the stream was published. A file still being written is included. Names carry the
// publication's start in whole seconds, so a stream published twice within one second has
// one file: the second publication overwrites the first.
func (s *Server) Recordings(stream string) []string {
	// record_unique names a file <stream>-<unix seconds>.flv; matching the whole name keeps
	// stream "a" from claiming stream "a-1"'s files.
	name := regexp.MustCompile(`^` + regexp.QuoteMeta(stream) + `-(\d+)\.flv$`)
	entries, _ := os.ReadDir(s.recDir)
	type rec struct {
		path string
		at   int64
	}
	var recs []rec
	for _, e := range entries {
		if m := name.FindStringSubmatch(e.Name()); m != nil {
			at, _ := strconv.ParseInt(m[1], 10, 64)
			recs = append(recs, rec{filepath.Join(s.recDir, e.Name()), at})
		}
	}
	slices.SortFunc(recs, func(a, b rec) int { return cmp.Compare(a.at, b.at) })
	paths := make([]string, len(recs))
	for i, r := range recs {
		paths[i] = r.path
	}
	return paths
}

// Stop kills nginx at once, as a server that goes away mid-push: publishers see their
// connection drop and recordings end where they were. It returns once nginx has exited.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		s.cmd.Process.Kill()
		<-s.done
		s.cmd = nil
	}
}

// Restart starts nginx again on the same port, recording into the same directory; it
// stops it first if it is still running.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Stop()
	// nginx binds with SO_REUSEADDR, so connections the kill left in TIME_WAIT do not hold
	// the port; only another process that took it meanwhile does, and it may let go.
	var err error
	for attempt := 1; attempt <= 5; attempt++ {
		if err = s.launch(); !errors.Is(err, errPortTaken) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("rtmptest: restarting: %v", err)
	}
}

// launch starts nginx and returns once its port accepts connections.
func (s *Server) launch() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	logPath := filepath.Join(s.dir, logName)
	log, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer log.Close()
	// What this run logs starts here: earlier runs' lines must not be taken for its errors.
	logStart, _ := log.Seek(0, io.SeekEnd)

	cmd := exec.Command(s.binary, "-p", s.dir+"/", "-c", filepath.Join(s.dir, "nginx.conf"), "-e", logPath)
	cmd.Stdout, cmd.Stderr = log, log
	// If the test binary dies (a panic, the -timeout), nginx goes with it rather than
	// holding its port and directory. Linux only, as mediapush is.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting nginx: %w", err)
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()

	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-done:
			out := logSince(logPath, logStart)
			if bytes.Contains(out, []byte("Address already in use")) {
				return fmt.Errorf("%w: %s: %s", errPortTaken, addr, out)
			}
			return fmt.Errorf("nginx exited (%v): %s", cmd.ProcessState, out)
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			s.cmd, s.done = cmd, done
			return nil
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			<-done
			return fmt.Errorf("nginx did not accept on %s within %v: %s", addr, startTimeout, logSince(logPath, logStart))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// shutdown ends nginx at the end of the test: SIGTERM lets it close the recordings still
// being written; a kill follows if it hangs.
func (s *Server) shutdown() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
	s.cmd = nil
}

// freePort returns a loopback TCP port that nothing listened on a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// logSince returns what nginx logged from offset on, trimmed.
func logSince(path string, offset int64) []byte {
	b, _ := os.ReadFile(path)
	if offset < int64(len(b)) {
		b = b[offset:]
	} else {
		b = nil
	}
	return bytes.TrimSpace(b)
}
