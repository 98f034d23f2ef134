package worker

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"mediapush/internal/ffmpeg"
	"mediapush/internal/recname"
	"mediapush/recorder"
)

// mergeSessionParts joins, for each format recorded more than once in a session (recording
// toggled off and on), its parts into one file. The parts stay as they are.
func mergeSessionParts(ctx context.Context, parts []Recording, dir string) ([]Recording, error) {
	byFormat := map[recorder.Format][]Recording{}
	var order []recorder.Format
	for _, p := range parts {
		if len(byFormat[p.Format]) == 0 {
			order = append(order, p.Format)
		}
		byFormat[p.Format] = append(byFormat[p.Format], p)
	}
	var out []Recording
	var errs []string
	for _, f := range order {
		if len(byFormat[f]) < 2 {
			continue
		}
		m, err := mergeParts(ctx, byFormat[f], dir)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		out = append(out, m)
	}
	if len(errs) > 0 {
		return out, fmt.Errorf("merging parts: %s", strings.Join(errs, "; "))
	}
	return out, nil
}

// mergeParts concatenates parts (one format, in order) without re-encoding. Each part becomes a
// chapter whose title says when it was recorded and how long the pause before it was: the
// gaps are marked, not hidden.
func mergeParts(ctx context.Context, parts []Recording, dir string) (Recording, error) {
	first := parts[0]
	stem, _ := recname.SplitExt(first.Key)
	dst := freeName(filepath.Join(dir, recname.Merged(stem)+"."+string(first.Format)))
	m, err := concatParts(ctx, parts, dir, dst, "")
	m.Merged = true
	return m, err
}

// concatParts writes parts (one format, in order) back to back into dst, one chapter per part
// whose title gives the pause before it and why (why, when not empty: "the browser crashed").
// The gaps between the parts, and those inside them, are the result's Gaps.
func concatParts(ctx context.Context, parts []Recording, dir, dst, why string) (Recording, error) {
	first := parts[0]
	tmp, err := os.MkdirTemp(dir, ".merge-")
	if err != nil {
		return Recording{}, err
	}
	defer os.RemoveAll(tmp)

	var list, meta strings.Builder
	meta.WriteString(";FFMETADATA1\n")
	var partial bool
	gaps := partGaps(parts)
	for i, p := range parts {
		fmt.Fprintf(&list, "file '%s'\n", strings.ReplaceAll(filepath.Join(dir, p.Key), "'", `'\''`))
		title := fmt.Sprintf("Part %d, recorded from %s UTC", i+1, p.StartedAt.UTC().Format("15:04:05"))
		if i > 0 {
			prev := parts[i-1]
			gap := p.StartedAt.Sub(prev.StartedAt.Add(prev.Duration))
			title += fmt.Sprintf(" after a %.1f s pause", max(gap, 0).Seconds())
			if why != "" {
				title += " (" + why + ")"
			}
		}
		at := partStart(parts, i)
		fmt.Fprintf(&meta, "[CHAPTER]\nTIMEBASE=1/1000\nSTART=%d\nEND=%d\ntitle=%s\n",
			at.Milliseconds(), (at + p.Duration).Milliseconds(), title)
		partial = partial || p.Partial
	}
	listFile, metaFile := filepath.Join(tmp, "parts.txt"), filepath.Join(tmp, "chapters.txt")
	if err := os.WriteFile(listFile, []byte(list.String()), 0o600); err != nil {
		return Recording{}, err
	}
	if err := os.WriteFile(metaFile, []byte(meta.String()), 0o600); err != nil {
		return Recording{}, err
	}
	out := filepath.Join(tmp, "merged."+string(first.Format))
	args := []string{"-nostdin", "-hide_banner", "-loglevel", "error", "-f", "concat", "-safe", "0", "-i", listFile,
		"-i", metaFile, "-map", "0", "-map_metadata", "1", "-map_chapters", "1", "-c", "copy"}
	if first.Format == recorder.MP4 {
		args = append(args, "-movflags", "+faststart")
	}
	cmd := ffmpeg.Command(ctx, ffmpeg.FFmpeg, append(args, out)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		return Recording{}, fmt.Errorf("%s: ffmpeg: %v: %s", first.Format, err, strings.TrimSpace(string(b)))
	}
	dur, err := recorder.Duration(ctx, out)
	if err != nil {
		return Recording{}, err
	}
	if err := os.Rename(out, dst); err != nil {
		return Recording{}, err
	}
	st, err := os.Stat(dst)
	if err != nil {
		return Recording{}, err
	}
	return Recording{StreamID: first.StreamID, Format: first.Format, Key: filepath.Base(dst), StartedAt: first.StartedAt,
		Duration: dur, Size: st.Size(), Partial: partial, Gaps: gaps}, nil
}

// partStart is where part i of parts begins in their concatenation.
func partStart(parts []Recording, i int) time.Duration {
	var at time.Duration
	for _, p := range parts[:i] {
		at += p.Duration
	}
	return at
}

// partGaps are the gaps of parts written back to back: each part's own, moved to where the part
// begins, and the time between one part's end and the next one's start (none when they touch).
func partGaps(parts []Recording) []Gap {
	var gaps []Gap
	for i, p := range parts {
		at := partStart(parts, i)
		if i > 0 {
			prev := parts[i-1]
			gaps = append(gaps, Gap{At: at, Duration: max(p.StartedAt.Sub(prev.StartedAt.Add(prev.Duration)), 0)})
		}
		for _, g := range p.Gaps {
			gaps = append(gaps, Gap{At: at + g.At, Duration: g.Duration})
		}
	}
	return gaps
}
