package worker

import (
	"fmt"
	"slices"
	"strings"

	"mediapush/recorder"
)

// Cost is what a session uses, or is expected to use: CPU in cores (1 = one core busy) and
// memory as proportional set size in bytes.
type Cost struct {
	Cores float64 `json:"cores"`
	Bytes int64   `json:"bytes"`
}

func (c Cost) plus(o Cost) Cost { return Cost{Cores: c.Cores + o.Cores, Bytes: c.Bytes + o.Bytes} }

// atLeast is the larger of c and o in each resource.
func (c Cost) atLeast(o Cost) Cost {
	return Cost{Cores: max(c.Cores, o.Cores), Bytes: max(c.Bytes, o.Bytes)}
}

// Kind groups sessions that cost about the same: their picture size, whether they record a
// room's layout page (which decodes every participant's video) and what they make.
type Kind struct {
	Size      string // 360p, 720p, 1080p or 2160p: the nearest of those to the page's pixels
	Composite bool   // a room recording or a Dolby mix
	Outputs   string // the recordings made, "+"-joined in a fixed order, or "push"
}

func (k Kind) String() string {
	page := "page"
	if k.Composite {
		page = "room"
	}
	return k.Size + "/" + page + "/" + k.Outputs
}

// sizes are the picture size buckets, by their pixel count.
var sizes = []struct {
	name   string
	pixels int
}{{"360p", 640 * 360}, {"720p", 1280 * 720}, {"1080p", 1920 * 1080}, {"2160p", 3840 * 2160}}

// sizeBucket names the bucket whose pixel count is nearest to w×h (by ratio, so that 960x540
// counts as 720p's neighbour in the way its cost does).
func sizeBucket(w, h int) string {
	px := float64(max(w*h, 1))
	best, bestRatio := sizes[0].name, 0.0
	for _, s := range sizes {
		r := px / float64(s.pixels)
		if r > 1 {
			r = 1 / r
		}
		if r > bestRatio {
			best, bestRatio = s.name, r
		}
	}
	return best
}

// kindOf is a job's kind as far as its cost goes.
func kindOf(job Job) Kind {
	outs := make([]string, 0, len(job.Record))
	for _, f := range job.Record {
		outs = append(outs, string(f))
	}
	slices.Sort(outs)
	outs = slices.Compact(outs)
	o := strings.Join(outs, "+")
	if o == "" {
		o = "push"
	}
	return Kind{Size: sizeBucket(job.Width, job.Height), Composite: job.Of().Composite(), Outputs: o}
}

// The prior cost of a session, before any of its kind has been measured: a 1280x720 page
// animating at 30 frames a second takes its Chromium and mediapush about 1 core (1.03-1.11
// measured on Chromium 156 with two cores: rendering, copying the captured frames, OpenH264)
// and 450 MiB. Most of the CPU is per frame whatever its size (1920x1080 measured about 1.3
// times 1280x720's), the rest grows with the pixels. A room's layout page also decodes every
// participant's video: about half as much again. The prior errs high: until a kind is
// measured, two sessions started together must not both be admitted to a node that has room
// for one.
const (
	priorFixedCores    = 0.6
	priorCoresPer720p  = 0.4
	priorFixedBytes    = 250 << 20
	priorBytesPer720p  = 200 << 20
	priorCompositeCost = 1.5
)

func priorCost(job Job) Cost {
	ratio := float64(job.Width*job.Height) / (1280 * 720)
	c := Cost{Cores: priorFixedCores + priorCoresPer720p*ratio, Bytes: int64(priorFixedBytes + priorBytesPer720p*ratio)}
	if kindOf(job).Composite {
		c.Cores *= priorCompositeCost
	}
	if slices.Contains(job.Record, recorder.HLS) || len(job.Endpoints) > 0 {
		c.Cores += 0.05 // ffmpeg remuxing the live outputs
	}
	return c
}

// sizeText is a job's picture size as messages give it.
func sizeText(job Job) string { return fmt.Sprintf("%dx%d", job.Width, job.Height) }
