package remix

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// renderVideo renders the chunks not already in the work directory, in order, and returns
// all chunk files in order.
func (j *job) renderVideo(ctx context.Context, progress func(int64)) ([]string, error) {
	chunks := planChunks(j.scenes, j.fps)
	files := make([]string, len(chunks))
	pages := map[int]string{}
	for i, c := range chunks {
		if pages[c.Scene] == "" {
			page, err := j.writeKeyedPage(c.Scene)
			if err != nil {
				return nil, err
			}
			pages[c.Scene] = page
		}
		args := j.chunkArgs(c, pages[c.Scene])
		name := filepath.Join(j.workDir, fmt.Sprintf("video-%04d-%s.mp4", i, argsHash(args, j.frameHashes[c.Scene])))
		files[i] = name
		if st, err := os.Stat(name); err == nil && st.Mode().IsRegular() {
			progress(frameMs(c.To, j.fps))
			continue // finished by an earlier run
		}
		tmp := name + ".part"
		err := runFFmpeg(ctx, nil, append(args, "-f", "mp4", "-y", "file:"+tmp)...)
		if err := replaceFile(tmp, name, err); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("remix: video of scene %d from %.3f s: %w", c.Scene, float64(c.From)/float64(j.fps), err)
		}
		progress(frameMs(c.To, j.fps))
	}
	return files, nil
}

// chunkArgs is the ffmpeg command line (without its output) rendering chunk c: a black
// picture at the output's size and rate; each box's participant decoded from just before
// the chunk, placed on the output's clock by its own timestamps (a picture shows until the
// next one comes, the last one stays), scaled to the box and cropped to its clip, overlaid
// in paint order; page, the screenshot with the key colour taken out (keyPage), over it all.
func (j *job) chunkArgs(c chunk, page string) []string {
	startSec := float64(c.From) / float64(j.fps)
	n := c.To - c.From
	frame := j.frames[c.Scene]
	args := []string{"-copyts",
		"-f", "lavfi", "-i", fmt.Sprintf("color=c=black:s=%dx%d:r=%d", j.width, j.height, j.fps)}
	var graph strings.Builder
	graph.WriteString("[0:v]format=yuv420p[b0]")
	last, input := "b0", 1
	for _, b := range frame.Boxes {
		p := j.publicationAt(b.StreamID, j.scenes[c.Scene])
		if p < 0 {
			continue // nothing to show: the page's placeholder is keyed out to black
		}
		r, ok := placeBox(b, j.width, j.height)
		if !ok {
			continue
		}
		mediaStart := float64(*j.pubs[p].MediaStartMs) / 1000
		// Seeking lands on the keyframe before the chunk, and every picture from there is
		// decoded: the one on screen when the chunk begins comes before it.
		if seek := startSec - mediaStart; seek > 0 {
			args = append(args, "-noaccurate_seek", "-ss", strconv.FormatFloat(seek, 'f', 6, 64))
		}
		args = append(args, "-i", "file:"+j.sources[p])
		fmt.Fprintf(&graph, ";[%d:v:0]setpts=PTS+(%s)/TB,scale=%d:%d:flags=bilinear,setsar=1,format=yuv420p,crop=%d:%d:%d:%d:exact=1[p%d]",
			input, strconv.FormatFloat(mediaStart-startSec, 'f', 6, 64), r.w, r.h, r.cw, r.ch, r.cx, r.cy, input)
		fmt.Fprintf(&graph, ";[%s][p%d]overlay=x=%d:y=%d:eof_action=repeat:format=yuv420[b%d]", last, input, r.x, r.y, input)
		last = fmt.Sprintf("b%d", input)
		input++
	}
	args = append(args, "-i", "file:"+page)
	fmt.Fprintf(&graph, ";[%d:v:0]format=yuva420p[page]", input)
	fmt.Fprintf(&graph, ";[%s][page]overlay=x=0:y=0:eof_action=repeat:format=yuv420[out]", last)
	return append(args, "-filter_complex", graph.String(), "-map", "[out]", "-an",
		"-frames:v", strconv.FormatInt(n, 10), "-r", strconv.Itoa(j.fps), "-fps_mode", "cfr",
		"-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p",
		"-video_track_timescale", strconv.Itoa(j.fps*1000))
}

// placed is a box in whole output pixels: the picture scaled to w×h, the part of it at
// (cx, cy) of size cw×ch shown at (x, y).
type placed struct{ w, h, cx, cy, cw, ch, x, y int }

// placeBox rounds box b to output pixels and clips it to its clip and the picture; false
// if nothing of it shows.
func placeBox(b Box, width, height int) (placed, bool) {
	round := func(v float64) int { return int(math.Round(v)) }
	x0, y0, x1, y1 := round(b.X), round(b.Y), round(b.X+b.W), round(b.Y+b.H)
	cx0 := max(round(b.ClipX), x0, 0)
	cy0 := max(round(b.ClipY), y0, 0)
	cx1 := min(round(b.ClipX+b.ClipW), x1, width)
	cy1 := min(round(b.ClipY+b.ClipH), y1, height)
	if x1-x0 < 1 || y1-y0 < 1 || cx1-cx0 < 1 || cy1-cy0 < 1 {
		return placed{}, false
	}
	return placed{w: x1 - x0, h: y1 - y0, cx: cx0 - x0, cy: cy0 - y0, cw: cx1 - cx0, ch: cy1 - cy0, x: cx0, y: cy0}, true
}

// argsHash names a chunk by what renders it, so that a work directory is reused only for
// the same chunk of the same render.
func argsHash(args []string, extra ...string) string {
	h := sha256.New()
	for _, a := range append(args, extra...) {
		h.Write([]byte(a))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// writeConcatList writes the concat demuxer's list of the chunks.
func (j *job) writeConcatList(files []string) (string, error) {
	var list strings.Builder
	for _, f := range files {
		fmt.Fprintf(&list, "file '%s'\n", strings.ReplaceAll(f, "'", `'\''`))
	}
	path := filepath.Join(j.workDir, "video.txt")
	if err := os.WriteFile(path, []byte(list.String()), 0o644); err != nil {
		return "", fmt.Errorf("remix: %w", err)
	}
	return path, nil
}
