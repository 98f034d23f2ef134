package worker

import (
	"os"
	"strings"
	"testing"
)

func TestParseMemInfo(t *testing.T) {
	f, err := os.Open("testdata/meminfo")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	total, avail, err := parseMemInfo(f)
	if err != nil || total != 24576000<<10 || avail != 20000000<<10 {
		t.Fatalf("total %d available %d, %v", total, avail, err)
	}
	if got, want := memoryBudget(total, avail), int64(0.8*float64(20000000<<10)); got != want {
		t.Errorf("budget %d, want %d (80%% of MemAvailable)", got, want)
	}

	// An old kernel has no MemAvailable: a share of MemTotal.
	total, avail, err = parseMemInfo(strings.NewReader("MemTotal: 1000 kB\nMemFree: 10 kB\n"))
	if err != nil || total != 1000<<10 || avail != 0 || memoryBudget(total, avail) != 800<<10 {
		t.Errorf("without MemAvailable: %d %d %v", total, avail, err)
	}
	for _, bad := range []string{"", "MemFree: 10 kB\n", "MemTotal: lots kB\n", "MemTotal: 10 MB\n", "MemTotal: -5 kB\n"} {
		if _, _, err := parseMemInfo(strings.NewReader(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestCPUBudget(t *testing.T) {
	for _, c := range []struct {
		cores int
		want  float64
	}{{1, 0.8}, {2, 1.8}, {4, 3.6}, {16, 14.4}} {
		if got := cpuBudget(c.cores); got < c.want-1e-9 || got > c.want+1e-9 {
			t.Errorf("%d cores: budget %v, want %v", c.cores, got, c.want)
		}
	}
}
