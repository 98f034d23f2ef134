package recorder

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/at-wat/ebml-go"

	"mediapush/media"
)

// fixtureDir holds the input clips shared by the tests (made by TestMain).
var fixtureDir string

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		os.Exit(runKillHelper())
	}
	dir, err := os.MkdirTemp("", "recorder-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fixtureDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func needFFmpeg(tb testing.TB) {
	tb.Helper()
	for _, tool := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(tool); err != nil {
			tb.Skipf("%s not installed", tool)
		}
	}
}

// clip is an input recording read back as the samples the ingest would
// hand to a Writer.
type clip struct {
	path     string
	video    media.Track
	audio    *media.Track
	vs, as   []media.Sample
	duration time.Duration // ffprobe's format duration of the input
}

const clipSeconds = 4

var (
	clipMu    sync.Mutex
	clipCache = map[string]*clip{}
)

// inputClip encodes (once per test binary) a clipSeconds-long 640x360 30 fps
// test pattern with a 440 Hz tone into Matroska and reads it back.
func inputClip(tb testing.TB, vcodec media.Codec) *clip {
	tb.Helper()
	needFFmpeg(tb)
	clipMu.Lock()
	defer clipMu.Unlock()
	if c := clipCache[string(vcodec)]; c != nil {
		return c
	}
	var venc []string
	switch vcodec {
	case media.H264:
		venc = []string{"-c:v", "libx264", "-preset", "ultrafast", "-profile:v", "baseline", "-g", "30", "-bf", "0"}
	case media.VP8:
		venc = []string{"-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "1M", "-g", "30"}
	case media.VP9:
		venc = []string{"-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "1M", "-g", "30"}
	}
	path := filepath.Join(fixtureDir, strings.ToLower(string(vcodec))+".mkv")
	args := []string{"-nostdin", "-hide_banner", "-loglevel", "error", "-y",
		"-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-ac", "2",
		"-t", strconv.Itoa(clipSeconds), "-pix_fmt", "yuv420p"}
	args = append(args, venc...)
	args = append(args, "-c:a", "libopus", "-b:a", "64k", path)
	if out, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
		tb.Fatalf("encoding input: %v\n%s", err, out)
	}
	c, err := readClip(path)
	if err != nil {
		tb.Fatal(err)
	}
	c.duration = probe(tb, path).duration
	clipCache[string(vcodec)] = c
	return c
}

// readClip reads a Matroska file with ebml-go and turns its blocks into the
// samples the ingest would produce. H264 blocks (AVCC) become NAL units, with
// the SPS/PPS of CodecPrivate put in front of every keyframe, as a WebRTC
// sender does.
//
// mkvcore.NewSimpleBlockReader is not used: it computes a block's timestamp
// from the enclosing Cluster's Timecode read in another goroutine than the
// decoder's, so blocks near a cluster boundary get the next cluster's
// timecode (a data race; audio went backwards by ~1 s in our clips).
func readClip(path string) (*clip, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var h struct {
		Segment struct {
			Tracks struct {
				TrackEntry []struct {
					TrackNumber  uint64
					TrackType    uint64
					CodecID      string
					CodecPrivate []byte
					Audio        struct{ Channels uint64 }
				}
			} `ebml:"Tracks,stop"`
		}
	}
	if err := ebml.Unmarshal(bufio.NewReader(f), &h); !errors.Is(err, ebml.ErrReadStopped) {
		return nil, fmt.Errorf("reading tracks of %s: %v", path, err)
	}
	blocks, err := listBlocks(path)
	if err != nil {
		return nil, err
	}
	c := &clip{path: path}
	var paramSets [][]byte
	var videoTrack, audioTrack uint64
	for _, te := range h.Segment.Tracks.TrackEntry {
		codec := codecFromID(te.CodecID)
		switch {
		case codec == media.Opus && c.audio == nil:
			c.audio = &media.Track{Codec: codec, ClockRate: 48000, Channels: int(te.Audio.Channels)}
			audioTrack = te.TrackNumber
		case codec.IsVideo() && c.video.Codec == "":
			c.video = media.Track{Codec: codec, ClockRate: 90000}
			videoTrack = te.TrackNumber
			if codec == media.H264 {
				if paramSets, err = parseAVCC(te.CodecPrivate); err != nil {
					return nil, err
				}
			}
		}
	}
	for _, b := range blocks {
		s := media.Sample{PTS: b.ts, Keyframe: b.key}
		switch b.track {
		case videoTrack:
			if c.video.Codec == media.H264 {
				nalus, err := splitAVCC(b.data)
				if err != nil {
					return nil, err
				}
				if b.key {
					nalus = append(append([][]byte{}, paramSets...), nalus...)
				}
				s.NALUs = nalus
			} else {
				s.Frame = b.data
			}
			c.vs = append(c.vs, s)
		case audioTrack:
			s.Frame = b.data
			c.as = append(c.as, s)
		}
	}
	return c, nil
}

// parseAVCC returns the SPS and PPS NAL units of an avcC record.
func parseAVCC(rec []byte) ([][]byte, error) {
	if len(rec) < 7 {
		return nil, errors.New("avcC too short")
	}
	var out [][]byte
	p := 5
	for i, count := 0, 0; i < 2; i++ {
		if p >= len(rec) {
			return nil, errors.New("avcC truncated")
		}
		count = int(rec[p])
		if i == 0 {
			count &= 0x1F
		}
		p++
		for j := 0; j < count; j++ {
			if p+2 > len(rec) {
				return nil, errors.New("avcC truncated")
			}
			n := int(binary.BigEndian.Uint16(rec[p:]))
			p += 2
			if p+n > len(rec) {
				return nil, errors.New("avcC truncated")
			}
			out = append(out, rec[p:p+n])
			p += n
		}
	}
	return out, nil
}

func splitAVCC(b []byte) ([][]byte, error) {
	var nalus [][]byte
	for len(b) > 0 {
		if len(b) < 4 {
			return nil, errors.New("AVCC: truncated length")
		}
		n := int(binary.BigEndian.Uint32(b))
		if 4+n > len(b) {
			return nil, errors.New("AVCC: truncated NAL unit")
		}
		nalus = append(nalus, b[4:4+n])
		b = b[4+n:]
	}
	return nalus, nil
}

// feed writes the clip's samples to w from two goroutines, one per track.
// With pace > 0 samples are written in real time divided by pace.
func feed(w *Writer, c *clip, vs, as []media.Sample, pace float64) error {
	start := time.Now()
	var first time.Duration
	if len(vs) > 0 {
		first = vs[0].PTS
	}
	wait := func(pts time.Duration) {
		if pace > 0 {
			time.Sleep(time.Until(start.Add(time.Duration(float64(pts-first) / pace))))
		}
	}
	errs := make(chan error, 2)
	go func() {
		for _, s := range vs {
			wait(s.PTS)
			if err := w.WriteVideo(s); err != nil {
				errs <- fmt.Errorf("WriteVideo(%v): %w", s.PTS, err)
				return
			}
		}
		errs <- nil
	}()
	go func() {
		if c.audio != nil && w.hasAudio {
			for _, s := range as {
				wait(s.PTS)
				if err := w.WriteAudio(s); err != nil {
					errs <- fmt.Errorf("WriteAudio(%v): %w", s.PTS, err)
					return
				}
			}
		}
		errs <- nil
	}()
	return errors.Join(<-errs, <-errs)
}

// record writes the whole clip (video from index skip on) to a new
// Matroska file and closes it.
func record(tb testing.TB, c *clip, withAudio bool, skip int) (string, Stats) {
	tb.Helper()
	var audio *media.Track
	if withAudio {
		audio = c.audio
	}
	path := filepath.Join(tb.TempDir(), "rec.mkv")
	w, err := Create(path, c.video, audio)
	if err != nil {
		tb.Fatal(err)
	}
	if err := feed(w, c, c.vs[skip:], c.as, 0); err != nil {
		tb.Fatal(err)
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return path, w.Stats()
}

type probeStream struct {
	CodecType    string `json:"codec_type"`
	CodecName    string `json:"codec_name"`
	Width        int    `json:"width"`
	Height       int    `json:"height"`
	SampleRate   string `json:"sample_rate"`
	Channels     int    `json:"channels"`
	AvgFrameRate string `json:"avg_frame_rate"`
	Packets      string `json:"nb_read_packets"`
}

type probeResult struct {
	streams  []probeStream
	duration time.Duration
	format   string
}

func (p probeResult) stream(kind string) *probeStream {
	for i := range p.streams {
		if p.streams[i].CodecType == kind {
			return &p.streams[i]
		}
	}
	return nil
}

func (s *probeStream) fps() float64 {
	n, d, _ := strings.Cut(s.AvgFrameRate, "/")
	a, _ := strconv.ParseFloat(n, 64)
	b, _ := strconv.ParseFloat(d, 64)
	if b == 0 {
		return 0
	}
	return a / b
}

func (s *probeStream) packets() int {
	n, _ := strconv.Atoi(s.Packets)
	return n
}

// probe runs ffprobe on path (counting packets).
func probe(tb testing.TB, path string) probeResult {
	tb.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-count_packets",
		"-show_entries", "stream=codec_type,codec_name,width,height,sample_rate,channels,avg_frame_rate,nb_read_packets:format=duration,format_name",
		"-of", "json", path).Output()
	if err != nil {
		tb.Fatalf("ffprobe %s: %v", path, err)
	}
	var r struct {
		Streams []probeStream
		Format  struct {
			Duration   string
			FormatName string `json:"format_name"`
		}
	}
	if err := json.Unmarshal(out, &r); err != nil {
		tb.Fatal(err)
	}
	sec, _ := strconv.ParseFloat(r.Format.Duration, 64)
	return probeResult{streams: r.Streams, duration: time.Duration(sec * float64(time.Second)), format: r.Format.FormatName}
}

var meanVolumeRE = regexp.MustCompile(`mean_volume: (-?[0-9.]+|-inf) dB`)

// meanVolume decodes the audio of path and returns ffmpeg volumedetect's
// mean volume in dB.
func meanVolume(tb testing.TB, path string) float64 {
	tb.Helper()
	out, err := exec.Command("ffmpeg", "-nostdin", "-hide_banner", "-i", path, "-map", "0:a:0",
		"-af", "volumedetect", "-f", "null", "-").CombinedOutput()
	if err != nil {
		tb.Fatalf("volumedetect: %v\n%s", err, out)
	}
	m := meanVolumeRE.FindSubmatch(out)
	if m == nil {
		tb.Fatalf("no mean_volume in ffmpeg output:\n%s", out)
	}
	if string(m[1]) == "-inf" {
		return -1000
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	return v
}

// block is a SimpleBlock (or the Block of a BlockGroup) of a Matroska file.
type block struct {
	track   uint64
	ts      time.Duration // cluster timecode + block timecode (1 ms scale)
	key     bool
	cluster int // index of the enclosing Cluster
	data    []byte
	end     int64 // file offset after a SimpleBlock (-1 for a BlockGroup)
}

// listBlocks decodes path with ebml-go and lists its blocks in file order.
func listBlocks(path string) ([]block, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var blocks []block
	var clusterTC uint64
	cluster := -1
	var group *block // Block of the BlockGroup being read
	// ebml-go's element positions are wrong after an element of unknown
	// size (it adds the "unknown" value to its running offset), so a block's
	// end is found by looking for its data right after the previous block.
	var prevEnd int64
	add := func(b ebml.Block, key, simple bool) {
		if len(b.Data) != 1 {
			panic("laced block")
		}
		i := bytes.Index(raw[prevEnd:], b.Data[0])
		if i < 0 {
			panic("block data not found")
		}
		prevEnd += int64(i + len(b.Data[0]))
		end := prevEnd
		if !simple {
			end = -1 // a BlockGroup may hold more after its Block
		}
		blocks = append(blocks, block{
			track:   b.TrackNumber,
			ts:      time.Duration(int64(clusterTC)+int64(b.Timecode)) * time.Millisecond,
			key:     key,
			cluster: cluster,
			data:    b.Data[0],
			end:     end,
		})
	}
	hook := func(e *ebml.Element) {
		switch e.Name {
		case "Timecode", "Timestamp": // ebml-go names the element Timestamp
			if e.Parent != nil && e.Parent.Name == "Cluster" {
				clusterTC = e.Value.(uint64)
				cluster++
			}
		case "SimpleBlock":
			b := e.Value.(ebml.Block)
			add(b, b.Keyframe, true)
		case "Block":
			b := e.Value.(ebml.Block)
			group = &block{track: b.TrackNumber, key: true}
			add(b, true, false)
		case "ReferenceBlock":
			if group != nil {
				blocks[len(blocks)-1].key = false
			}
		case "BlockGroup":
			group = nil
		}
	}
	var doc struct {
		Segment struct {
			Cluster []struct {
				Timecode    uint64
				SimpleBlock []ebml.Block
				BlockGroup  []struct {
					Block          ebml.Block
					ReferenceBlock []int64
				}
			}
		}
	}
	err = ebml.Unmarshal(bytes.NewReader(raw), &doc, ebml.WithElementReadHooks(hook))
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("decoding %s: %v", path, err)
	}
	return blocks, nil
}

func mustListBlocks(tb testing.TB, path string) []block {
	tb.Helper()
	bs, err := listBlocks(path)
	if err != nil {
		tb.Fatal(err)
	}
	return bs
}

func finalize(tb testing.TB, src string, f Format) (string, Info) {
	tb.Helper()
	dst := filepath.Join(tb.TempDir(), "out."+string(f))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	info, err := Finalize(ctx, src, dst, f)
	if err != nil {
		tb.Fatal(err)
	}
	return dst, info
}

func near(a, b, tol time.Duration) bool { return a-b <= tol && b-a <= tol }
