package remix

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// mixAudio mixes every publication's sound on the room clock into a lossless file of the
// recording's length in the work directory (kept for a resumed render) and returns its path.
//
// Each file is placed by its own timestamps moved to MediaStartMs: aresample pads from the
// room clock's 0 and fills the gaps the relay left (silence not sent) where the timestamps
// and the samples disagree by more than 10 ms. The mix adds the inputs as they are: no
// normalising, so a voice is as loud whoever else joins or leaves.
func (j *job) mixAudio(ctx context.Context) (string, error) {
	args := []string{"-copyts"}
	var graph strings.Builder
	n := 0
	for i, p := range j.pubs {
		if p.Audio == "" || j.sources[i] == "" {
			continue
		}
		args = append(args, "-i", "file:"+j.sources[i])
		if n > 0 {
			graph.WriteString(";")
		}
		fmt.Fprintf(&graph, "[%d:a:0]asetpts=PTS+(%s)/TB,aresample=48000:async=1:min_hard_comp=0.01:first_pts=0,"+
			"aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=stereo[a%d]", n, seconds(*p.MediaStartMs), n)
		n++
	}
	dur := seconds(j.totalMs)
	if n == 0 {
		args = append(args, "-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo")
		graph.WriteString("[0:a]anull[a0]")
		n = 1
	}
	graph.WriteString(";")
	for i := range n {
		fmt.Fprintf(&graph, "[a%d]", i)
	}
	fmt.Fprintf(&graph, "amix=inputs=%d:duration=longest:dropout_transition=0:normalize=0,apad=whole_dur=%s,atrim=end=%s[out]", n, dur, dur)
	args = append(args, "-filter_complex", graph.String(), "-map", "[out]", "-vn",
		"-c:a", "flac", "-ar", "48000", "-ac", "2")
	name := filepath.Join(j.workDir, "audio-"+argsHash(args)+".flac")
	if st, err := os.Stat(name); err == nil && st.Mode().IsRegular() {
		return name, nil
	}
	tmp := name + ".part"
	err := runFFmpeg(ctx, nil, append(args, "-f", "flac", "-y", "file:"+tmp)...)
	if err := replaceFile(tmp, name, err); err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", fmt.Errorf("remix: mixing the audio: %w", err)
	}
	return name, nil
}
