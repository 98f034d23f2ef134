package remix

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"mediapush/raw"
)

// Output formats.
const (
	FormatMP4 = "mp4" // H.264 video and AAC audio
	FormatMP3 = "mp3" // the audio alone
)

// DefaultFPS is the output's frame rate when RenderOptions.FPS is 0.
const DefaultFPS = 30

// RenderOptions says what Render renders and where to.
type RenderOptions struct {
	Manifest raw.Manifest
	// SourceDir holds the raw files: a publication's is filepath.Join(SourceDir, pub.File).
	SourceDir string
	// Scenes cover [0, *Manifest.EndedMs) back to back; Frames[i] is how the page laid out
	// Scenes[i] (not needed for FormatMP3).
	Scenes []Scene
	Frames []Frame
	// Width and Height are the output's picture size (even numbers), FPS its frame rate
	// (DefaultFPS when 0).
	Width, Height, FPS int
	// Format is FormatMP4 or FormatMP3.
	Format string
	// WorkDir keeps the intermediate files: a Render with the same options after an
	// interrupted one does not render again what was finished. The caller removes it.
	WorkDir string
	// Out is the file written; it appears under this name only once whole.
	Out string
	// Progress, if set, is told how far the render is, in milliseconds of the recording.
	Progress func(doneMs, totalMs int64)
}

// Render renders a raw recording, scene by scene, into o.Out. The video is composited in
// chunks of at most 15 s, each one ffmpeg run, which are kept in o.WorkDir and joined
// without re-encoding; the audio is mixed in one more run. Cancelling ctx stops ffmpeg; the
// chunks finished stay for the next Render.
func Render(ctx context.Context, o RenderOptions) error {
	job, err := prepare(o)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(job.workDir, 0o755); err != nil {
		return fmt.Errorf("remix: work directory: %w", err)
	}
	// The whole is reported only once the output is there: mixing the audio and writing
	// the file come after the last chunk.
	progress := func(done int64) {
		if o.Progress != nil {
			o.Progress(min(done, job.totalMs-1), job.totalMs)
		}
	}
	var chunkFiles []string
	if job.format == FormatMP4 {
		if chunkFiles, err = job.renderVideo(ctx, progress); err != nil {
			return err
		}
	}
	audio, err := job.mixAudio(ctx)
	if err != nil {
		return err
	}
	if err := job.writeOut(ctx, chunkFiles, audio); err != nil {
		return err
	}
	if o.Progress != nil {
		o.Progress(job.totalMs, job.totalMs)
	}
	return nil
}

// writeOut muxes the video chunks and the mixed audio into a temporary file beside o.Out
// and renames it to o.Out once whole.
func (j *job) writeOut(ctx context.Context, chunkFiles []string, audio string) error {
	// What a killed render left half-written of this output goes first.
	stale, _ := filepath.Glob(filepath.Join(filepath.Dir(j.out), "."+globEscape(filepath.Base(j.out))+".*.part"))
	for _, f := range stale {
		os.Remove(f)
	}
	tmp, err := os.CreateTemp(filepath.Dir(j.out), "."+filepath.Base(j.out)+".*.part")
	if err != nil {
		return fmt.Errorf("remix: output: %w", err)
	}
	tmp.Close()
	done := false
	defer func() {
		if !done {
			os.Remove(tmp.Name())
		}
	}()
	var args []string
	if j.format == FormatMP4 {
		list, err := j.writeConcatList(chunkFiles)
		if err != nil {
			return err
		}
		args = []string{"-f", "concat", "-safe", "0", "-i", "file:" + list, "-i", "file:" + audio,
			"-map", "0:v:0", "-map", "1:a:0", "-c:v", "copy",
			"-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-ac", "2",
			"-t", seconds(j.totalMs), "-movflags", "+faststart", "-f", "mp4", "-y", "file:" + tmp.Name()}
	} else {
		args = []string{"-i", "file:" + audio, "-map", "0:a:0",
			"-c:a", "libmp3lame", "-b:a", "128k", "-ar", "48000",
			"-t", seconds(j.totalMs), "-f", "mp3", "-y", "file:" + tmp.Name()}
	}
	if err := runFFmpeg(ctx, nil, args...); err != nil {
		return fmt.Errorf("remix: writing %s: %w", filepath.Base(j.out), err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("remix: output: %w", err)
	}
	if err := os.Rename(tmp.Name(), j.out); err != nil {
		return fmt.Errorf("remix: output: %w", err)
	}
	done = true
	return nil
}

// replaceFile renames the finished temporary file tmp to path, or removes tmp on err.
func replaceFile(tmp, path string, err error) error {
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// globEscape quotes the pattern characters of a file name for filepath.Glob.
func globEscape(name string) string {
	var b strings.Builder
	for _, r := range name {
		if strings.ContainsRune(`*?[\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// errNoEnd is the error of a manifest still being recorded.
var errNoEnd = errors.New("remix: the recording has not ended (its manifest has no endedMs)")
