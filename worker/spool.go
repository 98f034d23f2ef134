package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"mediapush/recorder"
)

// DefaultSpoolInterval is how often a recording in progress is copied to the spool: what a
// lost machine can lose at most.
const DefaultSpoolInterval = 2 * time.Second

// A spool is a directory on storage shared with the controller (a network mount) where each
// recording in progress is copied as it grows: its sidecar, then the bytes its incremental
// Matroska file gained since the last copy, one chunk file at a time. The Matroska file is only
// ever appended to, so the chunks joined in order are a prefix of it that Repair can close.
// When this machine is lost, the controller rebuilds the recording from the chunks; when the
// recording finishes here, its chunks are removed.
//
// Chunk names are <base>.mkv.<seq>.chunk with seq counted from 1 in six digits, written under
// a temporary name and renamed, so a reader never sees half a chunk.
type spooler struct {
	dir, base, src string
	log            zerolog.Logger

	mu   sync.Mutex
	off  int64 // bytes of src copied so far
	seq  int   // chunks written so far
	err  error // the first failure: spooling stops, the recording goes on
	stop chan struct{}
	done chan struct{}
}

// startSpool copies the sidecar of the recording at src into dir and starts copying src's
// new bytes every interval until close.
func startSpool(dir, src string, meta sidecar, interval time.Duration, log zerolog.Logger) (*spooler, error) {
	sp := &spooler{dir: dir, base: filepath.Base(src), src: src, log: log,
		stop: make(chan struct{}), done: make(chan struct{})}
	if err := writeAtomically(filepath.Join(dir, sp.base+".json"), func(f *os.File) error {
		return meta.encode(f)
	}); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	go sp.loop(interval)
	return sp, nil
}

func (sp *spooler) loop(interval time.Duration) {
	defer close(sp.done)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-sp.stop:
			return
		case <-tick.C:
			if err := sp.ship(); err != nil {
				sp.log.Warn().Err(err).Msg("spool: copying the recording to shared storage stopped; it goes on locally")
				return
			}
		}
	}
}

// ship copies what src gained since the last call as the next chunk.
func (sp *spooler) ship() error {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if sp.err != nil {
		return sp.err
	}
	f, err := os.Open(sp.src)
	if errors.Is(err, os.ErrNotExist) {
		return nil // no frame written yet
	}
	if err != nil {
		sp.err = err
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.Size() <= sp.off {
		sp.err = err
		return err
	}
	n := st.Size() - sp.off
	name := filepath.Join(sp.dir, fmt.Sprintf("%s.%06d.chunk", sp.base, sp.seq+1))
	sp.err = writeAtomically(name, func(out *os.File) error {
		_, err := io.Copy(out, io.NewSectionReader(f, sp.off, n))
		return err
	})
	if sp.err != nil {
		return sp.err
	}
	sp.off += n
	sp.seq++
	return nil
}

// close stops the copying. With finished set the recording's files are made, so its chunks are
// removed; otherwise the last bytes are copied and the chunks stay for recovery.
func (sp *spooler) close(finished bool) {
	select {
	case <-sp.stop:
	default:
		close(sp.stop)
	}
	<-sp.done
	if !finished {
		sp.ship() //nolint:errcheck // logged by the loop's failure path at worst; the local file remains
		return
	}
	removeSpooled(sp.dir, sp.base)
}

// removeSpooled deletes the sidecar and chunks of the recording base from the spool dir, and
// the temporary file of a chunk a lost machine was writing when it died.
func removeSpooled(dir, base string) {
	chunks, _ := spooledChunks(dir, base)
	unfinished, _ := filepath.Glob(filepath.Join(dir, "."+globQuote(base)+".*"))
	for _, c := range append(chunks, unfinished...) {
		os.Remove(c)
	}
	os.Remove(filepath.Join(dir, base+".json"))
}

// spooledChunks lists base's chunks in order, up to the first missing one: a gap in the
// sequence means what follows cannot be joined on.
func spooledChunks(dir, base string) ([]string, error) {
	matches, err := filepath.Glob(filepath.Join(dir, globQuote(base)+".*.chunk"))
	if err != nil {
		return nil, err
	}
	bySeq := map[int]string{}
	for _, m := range matches {
		seq, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(filepath.Base(m), base+"."), ".chunk"))
		if err == nil && seq > 0 {
			bySeq[seq] = m
		}
	}
	var out []string
	for seq := 1; bySeq[seq] != ""; seq++ {
		out = append(out, bySeq[seq])
	}
	return out, nil
}

// globQuote escapes the glob metacharacters of a file name.
func globQuote(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// RebuildSpooled rebuilds, from spoolDir, the recordings of streamIDs that a lost machine was
// making, as repaired Matroska files with their sidecars in dstDir, and returns their names
// by stream id, in order. It only joins and repairs, which takes little time whatever the
// length: the worker that takes a session over finishes them (Job.Continues). The spooled
// copies are removed once rebuilt.
func RebuildSpooled(spoolDir, dstDir string, streamIDs []string) (map[string][]string, error) {
	metas, err := filepath.Glob(filepath.Join(spoolDir, "*.mkv.json"))
	if err != nil {
		return nil, err
	}
	slices.Sort(metas) // names carry their start time: oldest first
	out := map[string][]string{}
	var errs []error
	for _, m := range metas {
		meta, err := readSidecar(m)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", filepath.Base(m), err))
			continue
		}
		if !slices.Contains(streamIDs, meta.StreamID) {
			continue
		}
		base := strings.TrimSuffix(filepath.Base(m), ".json")
		name, err := rebuildSpooled(spoolDir, dstDir, base, meta)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", base, err))
			continue
		}
		removeSpooled(spoolDir, base)
		out[meta.StreamID] = append(out[meta.StreamID], name)
	}
	return out, errors.Join(errs...)
}

// FinishContinued makes the files of rebuilt recordings (names in dir, from RebuildSpooled)
// in streamsDir as partial recordings: for a session no worker could take over.
func FinishContinued(ctx context.Context, dir, streamsDir string, names []string) ([]Recording, error) {
	var recs []Recording
	var errs []error
	for _, name := range names {
		src := filepath.Join(dir, name)
		meta, err := readSidecar(src + ".json")
		if err == nil {
			var saved []Recording
			saved, err = finishFile(ctx, src, meta, streamsDir, true)
			recs = append(recs, saved...)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	return recs, errors.Join(errs...)
}

// rebuildSpooled joins base's chunks into dstDir and repairs the result; it returns its name.
func rebuildSpooled(spoolDir, dstDir, base string, meta sidecar) (string, error) {
	chunks, err := spooledChunks(spoolDir, base)
	if err != nil {
		return "", err
	}
	if len(chunks) == 0 {
		return "", errors.New("no media was copied before the machine was lost")
	}
	src := freeName(filepath.Join(dstDir, base))
	out, err := os.Create(src)
	if err != nil {
		return "", err
	}
	for _, c := range chunks {
		if err = appendFile(out, c); err != nil {
			break
		}
	}
	if err = errors.Join(err, out.Close()); err != nil {
		os.Remove(src)
		return "", err
	}
	if err := recorder.Repair(src); err != nil {
		os.Remove(src)
		return "", err
	}
	if err := meta.save(src); err != nil {
		os.Remove(src)
		return "", err
	}
	return filepath.Base(src), nil
}

func appendFile(out *os.File, path string) error {
	in, err := os.Open(path)
	if err != nil {
		return err
	}
	defer in.Close()
	_, err = io.Copy(out, in)
	return err
}

// writeAtomically makes the file path by writing a temporary file beside it and renaming it.
func writeAtomically(path string, write func(*os.File) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	err = write(f)
	if err == nil {
		err = f.Sync()
	}
	if err = errors.Join(err, f.Close()); err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}
