package quality

import (
	"reflect"
	"testing"
)

// An ffmpeg 5.1 log of the three filters over a file black then moving, with sound then
// silence; the interleaving is ffmpeg's.
const detectLog = `Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'q.mp4':
  Stream #0:1 (aac) -> silencedetect:default
  freezedetect:default -> Stream #0:0 (wrapped_avframe)
[freezedetect @ 0x55f4fb0df340] lavfi.freezedetect.freeze_start: 0
[silencedetect @ 0x55f4fb0e0000] silence_start: 2.00288
[blackdetect @ 0x55f4fb0de5c0] black_start:0 black_end:3 black_duration:3
[freezedetect @ 0x55f4fb0df340] lavfi.freezedetect.freeze_duration: 3
[freezedetect @ 0x55f4fb0df340] lavfi.freezedetect.freeze_end: 3
[Parsed_freezedetect_3 @ 0x55f4fb0df340] lavfi.freezedetect.freeze_start: 4.5
[silencedetect @ 0x55f4fb0e0000] silence_end: 6.01397 | silence_duration: 4.01109
[silencedetect @ 0x55f4fb0e0000] silence_start: -0.01
[blackdetect @ 0x1] black_start:garbage black_end:3
video:1kB audio:2kB subtitle:0kB other streams:0kB global headers:0kB muxing overhead: unknown
`

func TestParseDetect(t *testing.T) {
	d := parseDetect(detectLog, 8)
	want := detected{
		black:  []Span{{0, 3}},
		frozen: []Span{{0, 3}, {4.5, 8}},           // the last one open until the end
		silent: []Span{{0, 8}, {2.00288, 6.01397}}, // an open one from before the stream: from 0
	}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("parseDetect:\n got %+v\nwant %+v", d, want)
	}
}

func TestParseDetectNothing(t *testing.T) {
	if d := parseDetect("no filter output at all\n[h264 @ 0x1] error while decoding\n", 10); d.black != nil || d.frozen != nil || d.silent != nil {
		t.Errorf("parseDetect of a log without spans: %+v", d)
	}
}

func TestSubtract(t *testing.T) {
	for _, c := range []struct{ a, b, want []Span }{
		{[]Span{{0, 10}}, nil, []Span{{0, 10}}},
		{[]Span{{0, 10}}, []Span{{0, 10}}, nil},
		{[]Span{{0, 10}}, []Span{{2, 3}, {5, 6}}, []Span{{0, 2}, {3, 5}, {6, 10}}},
		{[]Span{{0, 4}, {6, 10}}, []Span{{3, 7}}, []Span{{0, 3}, {7, 10}}},
		{[]Span{{2, 4}}, []Span{{0, 1}, {5, 9}}, []Span{{2, 4}}},
	} {
		if got := subtract(c.a, c.b); !reflect.DeepEqual(got, c.want) {
			t.Errorf("subtract(%v, %v) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

func TestShift(t *testing.T) {
	got := shift([]Span{{1.2, 2.2}, {1.5, 30}, {0, 1.1}}, 1.2, 10)
	want := []Span{{0, 1}, {0.3, 10}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("shift = %v, want %v", got, want)
	}
}
