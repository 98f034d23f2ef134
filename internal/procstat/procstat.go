// Package procstat reads CPU time and memory of process trees from /proc, for the benchmarks
// and for tests that check nothing is left running.
package procstat

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, 100 on every Linux this runs on.
const clockTicks = 100

// Sample is the CPU time and memory of a set of processes at one moment.
type Sample struct {
	At     time.Time
	CPU    time.Duration // user + system, summed
	PSSKiB int64         // proportional set size, summed
	Procs  int
}

// Matching returns the pids whose command line contains arg (as one argument or inside one).
func Matching(arg string) []int {
	want := []byte(arg)
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmd, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err == nil && bytes.Contains(cmd, want) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// Take samples the given processes; vanished ones are skipped.
func Take(pids ...int) Sample {
	s := Sample{At: time.Now()}
	for _, pid := range pids {
		cpu, ok := cpuTime(pid)
		if !ok {
			continue
		}
		s.CPU += cpu
		s.PSSKiB += pss(pid)
		s.Procs++
	}
	return s
}

func cpuTime(pid int) (time.Duration, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return 0, false
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / clockTicks, true
}

func pss(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/smaps_rollup")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "Pss:") {
			f := strings.Fields(line)
			v, _ := strconv.ParseInt(f[1], 10, 64)
			return v
		}
	}
	return 0
}

// Cores is the CPU used between two samples of the same processes, in cores (1 = one core busy).
func Cores(a, b Sample) float64 {
	return (b.CPU - a.CPU).Seconds() / b.At.Sub(a.At).Seconds()
}

// OpenFiles counts this process's open file descriptors (sockets included).
func OpenFiles() int {
	entries, _ := os.ReadDir("/proc/self/fd")
	return len(entries)
}

// Cmdline is a process's command line with arguments joined by spaces ("" when gone).
func Cmdline(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(bytes.ReplaceAll(b, []byte{0}, []byte{' '})))
}

// Descendants are the pids of every process below pid (children, their children, …).
func Descendants(pid int) []int {
	parents := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, ok := parent(child); ok {
			parents[ppid] = append(parents[ppid], child)
		}
	}
	var out []int
	for queue := parents[pid]; len(queue) > 0; queue = queue[1:] {
		out = append(out, queue[0])
		queue = append(queue, parents[queue[0]]...)
	}
	return out
}

// parent is a process's parent pid, from /proc/<pid>/stat (its fourth field, after the
// command name in parentheses, which may itself hold spaces and parentheses).
func parent(pid int) (int, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	fields := strings.Fields(string(b[i+1:]))
	if len(fields) < 2 {
		return 0, false
	}
	ppid, err := strconv.Atoi(fields[1])
	return ppid, err == nil
}

// Environ is a process's environment as it was started, one "NAME=value" each (nil when gone).
func Environ(pid int) []string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		return nil
	}
	return strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
}
