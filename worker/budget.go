package worker

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// Defaults of the node's budget: what its sessions may use together.
const (
	// DefaultCPUReserve is the share of the machine's cores kept for everything but the
	// sessions' browsers and mediapush's media path: the OS, ffmpeg finishing MP4s, the API.
	DefaultCPUReserve = 0.1
	// MinCPUReserve is the least kept back, in cores, however few the machine has.
	MinCPUReserve = 0.2
	// DefaultMemoryShare is the share of the memory available when the node starts that its
	// sessions may use: the page cache and the rest of the machine keep the remainder.
	DefaultMemoryShare = 0.8
)

// DefaultCPUBudget is the machine's cores less a reserve: on 2 cores, 1.8.
func DefaultCPUBudget() float64 { return cpuBudget(runtime.NumCPU()) }

func cpuBudget(cores int) float64 {
	reserve := max(DefaultCPUReserve*float64(cores), MinCPUReserve)
	return max(float64(cores)-reserve, 0)
}

// DefaultMemoryBudget is DefaultMemoryShare of the memory available now (MemAvailable of
// /proc/meminfo, MemTotal where the kernel does not say), in bytes; 0 when it cannot be read.
func DefaultMemoryBudget() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	total, available, err := parseMemInfo(f)
	if err != nil {
		return 0
	}
	return memoryBudget(total, available)
}

func memoryBudget(total, available int64) int64 {
	if available <= 0 {
		available = total
	}
	return int64(DefaultMemoryShare * float64(available))
}

// parseMemInfo reads MemTotal and MemAvailable, in bytes, from /proc/meminfo's text
// ("MemTotal:       24576000 kB"). MemAvailable is 0 on kernels older than 3.14.
func parseMemInfo(r io.Reader) (total, available int64, err error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || (name != "MemTotal" && name != "MemAvailable") {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, 0, fmt.Errorf("meminfo: %s is not a number of kB: %q", name, rest)
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || kb < 0 {
			return 0, 0, fmt.Errorf("meminfo: %s is not a number of kB: %q", name, rest)
		}
		if name == "MemTotal" {
			total = kb << 10
		} else {
			available = kb << 10
		}
	}
	if err := sc.Err(); err != nil {
		return 0, 0, err
	}
	if total == 0 {
		return 0, 0, fmt.Errorf("meminfo: no MemTotal")
	}
	return total, available, nil
}
