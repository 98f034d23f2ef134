package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"mediapush/controller"
	"mediapush/ingest"
	"mediapush/worker"
)

// record runs one session from a terminal: a live progress line, and Ctrl-C (or --duration)
// finishes the file.
func record(args []string) error {
	fs := flag.NewFlagSet("record", flag.ContinueOnError)
	out := fs.String("o", "", "output file: .mp4 (H264 + AAC) or .webm (VP8 + Opus)")
	width := fs.Int("width", controller.DefaultWidth, "video width")
	height := fs.Int("height", controller.DefaultHeight, "video height")
	duration := fs.Duration("duration", 0, "stop after this long (0: until Ctrl-C)")
	level := fs.String("log-level", "warn", "debug, info, warn or error")
	pageURL, args := leadingArg(args)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if pageURL == "" && fs.NArg() > 0 {
		pageURL = fs.Arg(0)
	}
	if pageURL == "" || *out == "" {
		return errors.New("usage: mediapush record URL -o FILE.mp4|FILE.webm [--width --height --duration]")
	}
	ext := strings.TrimPrefix(filepath.Ext(*out), ".")
	job, err := controller.NewJob("record", controller.StartRequest{URL: pageURL, Width: *width, Height: *height, RecordType: ext})
	if err != nil {
		return err
	}
	if len(job.Record) == 0 {
		return fmt.Errorf("-o %s: the file name must end in .mp4 or .webm", *out)
	}
	log, err := newLogger(*level)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "mediapush-record-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	in, err := ingest.Listen(log)
	if err != nil {
		return err
	}
	defer in.Close()
	// One session, asked for by hand: no budget to admit it by, and no browser launched ahead
	// of it (Browsers.Warm 0).
	w, err := worker.New(worker.Config{DataDir: tmp, Ingest: in, Log: log, Limits: worker.Limits{CPUBudget: -1, MemoryBudget: -1}})
	if err != nil {
		return err
	}
	defer w.Close(context.Background()) //nolint:errcheck // the session is stopped below; this closes the browser

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	fmt.Fprintf(os.Stderr, "opening %s at %dx%d …\n", pageURL, job.Width, job.Height)
	if err := w.Start(ctx, job); err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "recording; press Ctrl-C to finish")
	var deadline <-chan time.Time
	if *duration > 0 {
		deadline = time.After(*duration)
	}
	ended := showProgress(ctx, w, job.StreamID, deadline)
	fmt.Fprintln(os.Stderr)
	if ended != "" {
		fmt.Fprintln(os.Stderr, "the session ended:", ended)
	}
	fmt.Fprintln(os.Stderr, "finishing the file …")
	stopCtx, stopCancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer stopCancel()
	ev, err := w.Stop(stopCtx, job.StreamID)
	if errors.Is(err, worker.ErrNotFound) {
		err = nil // it ended by itself (failed); its recording is in the event we missed
	}
	if err != nil && len(ev.Recordings) == 0 {
		return err
	}
	recs, _ := filepath.Glob(filepath.Join(w.StreamsDir(), "*"))
	if len(recs) == 0 {
		return errors.New("nothing was recorded")
	}
	if err := moveFile(recs[0], *out); err != nil {
		return err
	}
	st, _ := os.Stat(*out)
	fmt.Fprintf(os.Stderr, "saved %s (%.1f MB)\n", *out, float64(st.Size())/1e6)
	return nil
}

// showProgress prints one refreshing line until ctx ends, the deadline passes or the session
// ends by itself (then it returns why).
func showProgress(ctx context.Context, w *worker.Worker, id string, deadline <-chan time.Time) string {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var last worker.Progress
	lastAt := time.Now()
	for {
		select {
		case <-ctx.Done():
			return ""
		case <-deadline:
			return ""
		case now := <-tick.C:
			p, err := w.Progress(id)
			if err != nil || p.State != worker.Active {
				return fmt.Sprintf("state %s", p.State)
			}
			secs := now.Sub(lastAt).Seconds()
			fps := float64(p.VideoFrames-last.VideoFrames) / secs
			mbps := float64(p.Received-last.Received) * 8 / secs / 1e6
			fmt.Fprintf(os.Stderr, "\r%s  %5.1f fps  %5.2f Mbit/s  %7.1f MB ", p.Elapsed.Round(time.Second), fps, mbps, float64(p.Recorded)/1e6)
			last, lastAt = p, now
		}
	}
}

// moveFile renames, or streams the file across file systems (a recording can be hours long).
func moveFile(src, dst string) error {
	if err := os.Rename(src, dst); err == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		os.Remove(dst)
		return err
	}
	return out.Close()
}
