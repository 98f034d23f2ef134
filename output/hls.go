package output

import (
	"path/filepath"
	"strings"
)

// HLSSegment is the target length of an HLS segment. A segment starts on a keyframe, so it
// lasts at least this long and ends at the first keyframe after it (every ~2 s here).
const HLSSegment = "2"

// HLS makes an EVENT playlist dir/name.m3u8 with fMP4 segments name_00001.m4s … and the init
// segment name_init.mp4, playable while it grows; Close ends the playlist. Video is copied
// (H264), audio made AAC, which every HLS player plays.
func HLS(dir, name string) Spec {
	return Spec{
		Name: "hls " + name + ".m3u8",
		Args: []string{
			"-map", "0:v:0", "-map", "0:a:0?", "-c:v", "copy", "-c:a", "aac", "-b:a", "128k",
			"-f", "hls", "-hls_time", HLSSegment, "-hls_playlist_type", "event",
			"-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", name + "_init.mp4",
			"-hls_segment_filename", filepath.Join(dir, name+"_%05d.m4s"),
			"-hls_flags", "independent_segments+temp_file",
			filepath.Join(dir, name+".m3u8"),
		},
	}
}

// HLSFiles tells whether file belongs to the HLS recording name (its playlist or segments).
func HLSFiles(name, file string) bool {
	return file == name+".m3u8" || file == name+"_init.mp4" ||
		(strings.HasPrefix(file, name+"_") && strings.HasSuffix(file, ".m4s"))
}
