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

// removeSpooled deletes the sidecar and chunks of the recording base from the spool dir.
func removeSpooled(dir, base string) {
	chunks, _ := spooledChunks(dir, base)
	for _, c := range chunks {
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

// RecoverSpooled rebuilds, from the spool dir, the recordings of streamIDs that a lost machine
// was making, and finishes them into streamsDir as partial recordings. workDir holds the
// rebuilt Matroska files while they are finished. The spooled copies are removed once saved.
func RecoverSpooled(ctx context.Context, spoolDir, workDir, streamsDir string, streamIDs []string) ([]Recording, error) {
	metas, err := filepath.Glob(filepath.Join(spoolDir, "*.mkv.json"))
	if err != nil {
		return nil, err
	}
	var recs []Recording
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
		saved, err := rebuildSpooled(ctx, spoolDir, workDir, streamsDir, base, meta)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", base, err))
			continue
		}
		removeSpooled(spoolDir, base)
		recs = append(recs, saved...)
	}
	return recs, errors.Join(errs...)
}

func rebuildSpooled(ctx context.Context, spoolDir, workDir, streamsDir, base string, meta sidecar) ([]Recording, error) {
	chunks, err := spooledChunks(spoolDir, base)
	if err != nil {
		return nil, err
	}
	if len(chunks) == 0 {
		return nil, errors.New("no media was copied before the machine was lost")
	}
	src := freeName(filepath.Join(workDir, base))
	out, err := os.Create(src)
	if err != nil {
		return nil, err
	}
	for _, c := range chunks {
		if err = appendFile(out, c); err != nil {
			break
		}
	}
	if err = errors.Join(err, out.Close()); err != nil {
		os.Remove(src)
		return nil, err
	}
	if err := meta.save(src); err != nil {
		os.Remove(src)
		return nil, err
	}
	if err := recorder.Repair(src); err != nil {
		os.Remove(src)
		os.Remove(src + ".json")
		return nil, err
	}
	// A format that cannot be made leaves src and its sidecar in workDir, where the next
	// start's Recover retries it, as for a local crash.
	return finishFile(ctx, src, meta, streamsDir, true)
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
