package remix

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"mediapush/raw"
)

// Limits of the output's picture.
const (
	maxSide = 7680
	maxFPS  = 120
)

// job is a Render's options checked, with paths made absolute.
type job struct {
	format        string
	width, height int
	fps           int
	totalMs       int64
	scenes        []Scene
	frames        []Frame
	frameImages   []string // absolute paths of the frames' PNGs
	frameHashes   []string // their contents' hashes: a new screenshot renders its chunks again
	pubs          []raw.Publication
	sources       []string // absolute path of each publication's file, by index in pubs
	workDir, out  string
}

// prepare checks o and everything it names, before anything is written.
func prepare(o RenderOptions) (*job, error) {
	j := &job{format: o.Format, width: o.Width, height: o.Height, fps: o.FPS, scenes: o.Scenes, frames: o.Frames}
	if j.fps == 0 {
		j.fps = DefaultFPS
	}
	switch {
	case o.Format != FormatMP4 && o.Format != FormatMP3:
		return nil, fmt.Errorf("remix: format %q is not %q or %q", o.Format, FormatMP4, FormatMP3)
	case o.Format == FormatMP4 && (o.Width <= 0 || o.Height <= 0 || o.Width > maxSide || o.Height > maxSide || o.Width%2 != 0 || o.Height%2 != 0):
		return nil, fmt.Errorf("remix: picture size %dx%d: want even sides from 2 to %d", o.Width, o.Height, maxSide)
	case j.fps < 1 || j.fps > maxFPS:
		return nil, fmt.Errorf("remix: frame rate %d: want 1 to %d", o.FPS, maxFPS)
	case o.Manifest.EndedMs == nil:
		return nil, errNoEnd
	case *o.Manifest.EndedMs <= 0:
		return nil, fmt.Errorf("remix: the recording lasts %d ms", *o.Manifest.EndedMs)
	case o.WorkDir == "":
		return nil, fmt.Errorf("remix: no work directory")
	case o.Out == "" || filepath.Base(o.Out) == "." || filepath.Base(o.Out) == string(filepath.Separator):
		return nil, fmt.Errorf("remix: no output file")
	}
	j.totalMs = *o.Manifest.EndedMs
	var err error
	if j.workDir, err = filepath.Abs(o.WorkDir); err != nil {
		return nil, fmt.Errorf("remix: work directory: %w", err)
	}
	if j.out, err = filepath.Abs(o.Out); err != nil {
		return nil, fmt.Errorf("remix: output: %w", err)
	}
	if st, err := os.Stat(filepath.Dir(j.out)); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("remix: output directory %s does not exist", filepath.Dir(j.out))
	}
	if err := checkScenes(o.Scenes, j.totalMs); err != nil {
		return nil, err
	}
	if err := j.checkSources(o.Manifest, o.SourceDir); err != nil {
		return nil, err
	}
	if o.Format == FormatMP4 {
		if err := j.checkFrames(); err != nil {
			return nil, err
		}
	}
	return j, nil
}

// checkScenes checks the scenes are back to back from 0 to the recording's end.
func checkScenes(scenes []Scene, totalMs int64) error {
	if len(scenes) == 0 {
		return fmt.Errorf("remix: no scenes")
	}
	at := int64(0)
	for i, s := range scenes {
		if s.FromMs != at || s.ToMs <= s.FromMs {
			return fmt.Errorf("remix: scene %d (%d–%d ms) does not follow on at %d ms", i, s.FromMs, s.ToMs, at)
		}
		at = s.ToMs
	}
	if at != totalMs {
		return fmt.Errorf("remix: the scenes end at %d ms, the recording at %d ms", at, totalMs)
	}
	return nil
}

// checkSources checks that every publication's file that will be read is there. Only
// publications with media are read: the others never wrote any.
func (j *job) checkSources(m raw.Manifest, sourceDir string) error {
	dir, err := filepath.Abs(sourceDir)
	if err != nil {
		return fmt.Errorf("remix: source directory: %w", err)
	}
	j.pubs = m.Publications
	j.sources = make([]string, len(m.Publications))
	for i, p := range m.Publications {
		if p.MediaStartMs == nil {
			continue
		}
		if !filepath.IsLocal(p.File) {
			return fmt.Errorf("remix: publication %s: file %q is not a name inside the source directory", p.StreamID, p.File)
		}
		if j.format == FormatMP3 && p.Audio == "" {
			continue
		}
		path := filepath.Join(dir, p.File)
		st, err := os.Stat(path)
		if err != nil || !st.Mode().IsRegular() {
			return fmt.Errorf("remix: publication %s: source file %s is missing", p.StreamID, p.File)
		}
		j.sources[i] = path
	}
	return nil
}

// checkFrames checks there is a frame of the output's size for each scene, and that its
// boxes are numbers and name publications of the recording.
func (j *job) checkFrames() error {
	if len(j.frames) != len(j.scenes) {
		return fmt.Errorf("remix: %d frames for %d scenes", len(j.frames), len(j.scenes))
	}
	known := map[string]bool{}
	for _, p := range j.pubs {
		known[p.StreamID] = true
	}
	j.frameImages = make([]string, len(j.frames))
	j.frameHashes = make([]string, len(j.frames))
	for i, f := range j.frames {
		path, err := filepath.Abs(f.Image)
		if err != nil || f.Image == "" {
			return fmt.Errorf("remix: frame %d: no image", i)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("remix: frame %d: image %s: %w", i, filepath.Base(path), err)
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			return fmt.Errorf("remix: frame %d: image %s is not a PNG: %w", i, filepath.Base(path), err)
		}
		if cfg.Width != j.width || cfg.Height != j.height {
			return fmt.Errorf("remix: frame %d: image is %dx%d, the output %dx%d", i, cfg.Width, cfg.Height, j.width, j.height)
		}
		sum := sha256.Sum256(data)
		j.frameImages[i], j.frameHashes[i] = path, hex.EncodeToString(sum[:])
		for _, b := range f.Boxes {
			for _, v := range []float64{b.X, b.Y, b.W, b.H, b.ClipX, b.ClipY, b.ClipW, b.ClipH} {
				if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > 1e6 {
					return fmt.Errorf("remix: frame %d: box of %s has a bad coordinate %v", i, b.StreamID, v)
				}
			}
			if !known[b.StreamID] {
				return fmt.Errorf("remix: frame %d: box of %s, which is no publication of the recording", i, strconv.Quote(b.StreamID))
			}
		}
	}
	return nil
}

// publicationAt is the index of the publication of streamID shown in scene s: the last
// one of it to have joined before the scene ends, if it has video; -1 if none.
func (j *job) publicationAt(streamID string, s Scene) int {
	found := -1
	for i, p := range j.pubs {
		if p.StreamID != streamID || p.JoinedMs >= s.ToMs {
			continue
		}
		if found < 0 || p.JoinedMs >= j.pubs[found].JoinedMs {
			found = i
		}
	}
	if found < 0 || j.pubs[found].Video == "" || j.sources[found] == "" {
		return -1
	}
	return found
}

// seconds formats milliseconds for ffmpeg.
func seconds(ms int64) string { return strconv.FormatFloat(float64(ms)/1000, 'f', 3, 64) }
