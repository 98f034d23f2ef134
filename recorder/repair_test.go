package recorder

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"mediapush/media"
)

// written returns how many packets of ps lie completely in the first off
// bytes, the end offset of the last of them, and the latest timestamp among
// them.
func written(ps []block, off int64) (n int, end int64, last time.Duration) {
	for _, p := range ps {
		if p.end >= 0 && p.end <= off {
			n++
			end = max(end, p.end)
			last = max(last, p.ts)
		}
	}
	return n, end, last
}

func truncatedCopy(t *testing.T, src string, off int64) string {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), fmt.Sprintf("cut%d.mkv", off))
	if err := os.WriteFile(dst, b[:off], 0o644); err != nil {
		t.Fatal(err)
	}
	return dst
}

// Repair of a recording cut at many offsets keeps exactly the complete
// blocks, which ebml-go reads back without error.
func TestRepairStructure(t *testing.T) {
	c := inputClip(t, media.H264)
	src, _ := record(t, c, true, 0)
	ps := mustListBlocks(t, src)
	fi, _ := os.Stat(src)
	size := fi.Size()

	offsets := []int64{}
	for off := ps[0].end; off < size; off += 997 {
		offsets = append(offsets, off)
	}
	for _, i := range []int{0, 1, 2, 50, 100, len(ps) / 2, len(ps) - 1} {
		for d := int64(-3); d <= 3; d++ {
			offsets = append(offsets, ps[i].end+d)
		}
	}
	for _, off := range offsets {
		if off <= 0 || off >= size {
			continue
		}
		cut := truncatedCopy(t, src, off)
		wantBlocks, lastEnd, _ := written(ps, off)
		err := Repair(cut)
		if wantBlocks == 0 {
			if err == nil || !strings.Contains(err.Error(), "no complete media block") {
				t.Errorf("cut at %d: Repair error %v, want no complete media block", off, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("cut at %d: %v", off, err)
			continue
		}
		fi, _ := os.Stat(cut)
		if fi.Size() < lastEnd || fi.Size() > off {
			t.Errorf("cut at %d: repaired to %d bytes, want in [%d, %d]", off, fi.Size(), lastEnd, off)
		}
		rc, err := readClip(cut)
		if err != nil {
			t.Errorf("cut at %d: reading the repaired file: %v", off, err)
			continue
		}
		if got := len(rc.vs) + len(rc.as); got != wantBlocks {
			t.Errorf("cut at %d: %d blocks after repair, want %d", off, got, wantBlocks)
		}
		// Repairing again changes nothing.
		if err := Repair(cut); err != nil {
			t.Errorf("cut at %d: second Repair: %v", off, err)
		}
		if fi2, _ := os.Stat(cut); fi2.Size() != fi.Size() {
			t.Errorf("cut at %d: second Repair changed the size", off)
		}
		os.Remove(cut)
	}

	// An intact recording is left as it is.
	before, _ := os.ReadFile(src)
	if err := Repair(src); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadFile(src); !bytes.Equal(before, after) {
		t.Error("Repair modified an intact recording")
	}

	// Cut inside the header: nothing to recover.
	for _, off := range []int64{3, 30, 100} {
		err := Repair(truncatedCopy(t, src, off))
		if err == nil || !strings.Contains(err.Error(), "nothing to recover") {
			t.Errorf("cut at %d: error %v, want nothing to recover", off, err)
		}
	}
	garbage := filepath.Join(t.TempDir(), "g.mkv")
	os.WriteFile(garbage, []byte("hello world, this is not matroska"), 0o644)
	if err := Repair(garbage); err == nil || !strings.Contains(err.Error(), "not a Matroska file") {
		t.Errorf("garbage: %v", err)
	}
}

// Repaired recordings cut at several offsets finalize into playable files
// holding all that was written but the last second at most.
func TestRepairFinalize(t *testing.T) {
	for _, tc := range []struct {
		codec media.Codec
		f     Format
		fracs []float64
	}{
		{media.H264, MP4, []float64{0.04, 0.17, 0.33, 0.5, 0.61, 0.78, 0.9, 0.99}},
		{media.VP9, WebM, []float64{0.11, 0.45, 0.72, 0.95}},
	} {
		t.Run(string(tc.codec), func(t *testing.T) {
			c := inputClip(t, tc.codec)
			src, _ := record(t, c, true, 0)
			ps := mustListBlocks(t, src)
			fi, _ := os.Stat(src)
			for _, frac := range tc.fracs {
				off := int64(frac*float64(fi.Size())) + 7
				cut := truncatedCopy(t, src, off)
				if err := Repair(cut); err != nil {
					t.Fatalf("cut at %d: %v", off, err)
				}
				_, _, last := written(ps, off)
				dst, info := finalize(t, cut, tc.f)
				p := probe(t, dst)
				if p.stream("video") == nil || p.stream("audio") == nil {
					t.Errorf("cut at %d: streams %+v", off, p.streams)
				}
				if p.duration < last-time.Second {
					t.Errorf("cut at %d: duration %v, written %v", off, p.duration, last)
				}
				t.Logf("cut at %.0f%%: written %v, finalized %v (%d bytes)", frac*100, last, info.Duration, info.Size)
			}
		})
	}
}

// Files with known Segment and Cluster sizes (as ffmpeg writes them) get
// those sizes marked unknown when the cut invalidates them.
func TestRepairKnownSizes(t *testing.T) {
	c := inputClip(t, media.VP8)
	fi, _ := os.Stat(c.path)
	ps := mustListBlocks(t, c.path)
	off := fi.Size() * 6 / 10
	cut := truncatedCopy(t, c.path, off)
	if err := Repair(cut); err != nil {
		t.Fatal(err)
	}
	n, _, last := written(ps, off)
	rc, err := readClip(cut)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(rc.vs) + len(rc.as); got != n {
		t.Errorf("%d blocks after repair, want %d", got, n)
	}
	dst, _ := finalize(t, cut, WebM)
	if p := probe(t, dst); p.duration < last-time.Second {
		t.Errorf("duration %v, written %v", p.duration, last)
	}
}

const helperEnv = "RECORDER_TEST_HELPER"

// runKillHelper records the input clip in real time and reports progress on
// stdout until the parent test kills it.
func runKillHelper() int {
	c, err := readClip(os.Getenv("RECORDER_TEST_INPUT"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	w, err := Create(os.Getenv("RECORDER_TEST_OUTPUT"), c.video, c.audio)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	go func() {
		for range time.Tick(20 * time.Millisecond) {
			fmt.Printf("written %d\n", w.Stats().Duration.Milliseconds())
		}
	}()
	if err := feed(w, c, c.vs, c.as, 1); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	w.Close()
	return 0
}

// A recording process killed with SIGKILL loses at most about a second.
func TestSIGKILL(t *testing.T) {
	c := inputClip(t, media.H264)
	out := filepath.Join(t.TempDir(), "killed.mkv")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=1", "RECORDER_TEST_INPUT="+c.path, "RECORDER_TEST_OUTPUT="+out)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var reported time.Duration
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		ms, _ := strconv.Atoi(strings.TrimPrefix(sc.Text(), "written "))
		reported = time.Duration(ms) * time.Millisecond
		if reported >= 2*time.Second {
			break
		}
	}
	cmd.Process.Kill() // SIGKILL
	cmd.Wait()
	if reported < 2*time.Second {
		t.Fatalf("helper reported only %v before exiting", reported)
	}
	if err := Repair(out); err != nil {
		t.Fatal(err)
	}
	dst, info := finalize(t, out, MP4)
	p := probe(t, dst)
	if p.stream("video") == nil || p.stream("audio") == nil {
		t.Errorf("streams %+v", p.streams)
	}
	if info.Duration < reported-time.Second {
		t.Errorf("finalized %v, but %v was reported written before the kill", info.Duration, reported)
	}
	t.Logf("killed after %v written; finalized %v", reported, info.Duration)
}
