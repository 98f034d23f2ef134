package remix

// maxChunkMs is the longest stretch of video one ffmpeg run renders: progress is reported,
// and a killed render resumes, chunk by chunk.
const maxChunkMs = 15_000

// chunk is a stretch of output video within one scene: frames [From, To) of the output.
type chunk struct {
	Scene    int
	From, To int64 // output frame numbers
}

// frameAt is the output frame shown at ms on the room clock: frame n covers
// [n/fps, (n+1)/fps) seconds.
func frameAt(ms int64, fps int) int64 { return (ms*int64(fps) + 500) / 1000 }

// frameMs is where output frame n starts, in milliseconds (rounded down).
func frameMs(n int64, fps int) int64 { return n * 1000 / int64(fps) }

// planChunks splits the scenes into chunks of at most maxChunkMs, cut at every scene
// boundary and evenly within long scenes. A scene too short to hold a frame has none.
func planChunks(scenes []Scene, fps int) []chunk {
	per := int64(maxChunkMs) * int64(fps) / 1000
	var chunks []chunk
	for i, s := range scenes {
		from, to := frameAt(s.FromMs, fps), frameAt(s.ToMs, fps)
		if to <= from {
			continue
		}
		n := (to - from + per - 1) / per
		for k := int64(0); k < n; k++ {
			chunks = append(chunks, chunk{Scene: i, From: from + (to-from)*k/n, To: from + (to-from)*(k+1)/n})
		}
	}
	return chunks
}
