package mediacheck

import (
	"os"
	"strings"
	"testing"
)

func TestScratch(t *testing.T) {
	for _, p := range strings.Fields(os.Getenv("SCRATCH")) {
		info, err := Probe(t.Context(), p)
		t.Logf("%s %+v v=%+v a=%+v %v", p, info, info.Video, info.Audio, err)
		m, x, err := Loudness(t.Context(), p)
		t.Log("loudness", m, x, err, "decodes", Decodes(t.Context(), p))
		o, err := AVOffsets(t.Context(), p)
		t.Log("offsets", o, err, "median", MedianAbs(o))
	}
}
