package recorder

import (
	"errors"
	"io"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/at-wat/ebml-go/mkvcore"
	"github.com/at-wat/ebml-go/webm"

	"mediapush/media"
)

// Matroska track numbers.
const (
	videoTrackNumber = 1
	audioTrackNumber = 2
)

// maxClusterMillis bounds the duration of a cluster; a new one also starts
// at every video keyframe.
const maxClusterMillis = 1000

// Matroska CodecIDs.
var codecIDs = map[media.Codec]string{
	media.H264: "V_MPEG4/ISO/AVC",
	media.VP8:  "V_VP8",
	media.VP9:  "V_VP9",
	media.Opus: "A_OPUS",
}

func codecFromID(id string) media.Codec {
	for c, s := range codecIDs {
		if s == id {
			return c
		}
	}
	return media.Codec(id)
}

// trackEntry is the TrackEntry written for each track. (webm.TrackEntry
// lacks FlagLacing; mkvcore accepts any struct.)
type trackEntry struct {
	TrackNumber  uint64         `ebml:"TrackNumber"`
	TrackUID     uint64         `ebml:"TrackUID"`
	TrackType    uint64         `ebml:"TrackType"`
	FlagLacing   uint64         `ebml:"FlagLacing"`
	CodecID      string         `ebml:"CodecID"`
	CodecPrivate []byte         `ebml:"CodecPrivate,omitempty"`
	CodecDelay   uint64         `ebml:"CodecDelay,omitempty"`
	SeekPreRoll  uint64         `ebml:"SeekPreRoll,omitempty"`
	Video        *videoSettings `ebml:"Video"`
	Audio        *audioSettings `ebml:"Audio"`
}

type videoSettings struct {
	PixelWidth  uint64 `ebml:"PixelWidth"`
	PixelHeight uint64 `ebml:"PixelHeight"`
}

type audioSettings struct {
	SamplingFrequency float64 `ebml:"SamplingFrequency"`
	Channels          uint64  `ebml:"Channels"`
}

// fileSink is the io.WriteCloser handed to ebml-go. Every Write goes straight
// to the file (no buffering). It never reports an error to ebml-go: the
// first write error is kept (and later writes are discarded) and surfaces
// from Writer's methods instead. ebml-go's writer goroutine stops reading
// its frame channel after a fatal error, which would make the next
// BlockWriter.Write block forever.
type fileSink struct {
	f        io.WriteCloser
	n        atomic.Int64
	mu       sync.Mutex
	err      error
	closed   bool
	closeErr error
}

func (s *fileSink) Write(b []byte) (int, error) {
	if s.failed() != nil {
		return len(b), nil
	}
	n, err := s.f.Write(b)
	s.n.Add(int64(n))
	if err != nil {
		s.fail(err)
	}
	return len(b), nil
}

// Close closes the file once; its error is kept for closeError.
func (s *fileSink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		s.closeErr = s.f.Close()
	}
	return nil
}

func (s *fileSink) fail(err error) {
	s.mu.Lock()
	if s.err == nil {
		s.err = err
	}
	s.mu.Unlock()
}

func (s *fileSink) failed() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

func (s *fileSink) closeError() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closeErr
}

// startMatroska writes the EBML header, Segment Info and Tracks and returns
// one block writer per track (video first). Segment and Cluster sizes are
// "unknown", so the file is valid after every block.
func startMatroska(sink *fileSink, tracks []trackEntry, docType string, onFatal func(error)) ([]mkvcore.BlockWriteCloser, error) {
	header := *webm.DefaultEBMLHeader
	header.DocType = docType
	info := &webm.Info{
		TimecodeScale: uint64(time.Millisecond),
		MuxingApp:     "mediapush recorder (ebml-go)",
		WritingApp:    "mediapush",
		DateUTC:       time.Now().UTC().Truncate(time.Second),
	}
	descs := make([]mkvcore.TrackDescription, len(tracks))
	for i := range tracks {
		tracks[i].TrackUID = rand.Uint64N(1<<56) + 1
		descs[i] = mkvcore.TrackDescription{TrackNumber: tracks[i].TrackNumber, TrackEntry: tracks[i]}
	}
	ws, err := mkvcore.NewSimpleBlockWriter(sink, descs,
		mkvcore.WithEBMLHeader(&header),
		mkvcore.WithSegmentInfo(info),
		mkvcore.WithSeekHead(false),
		mkvcore.WithMinMaxClusterDuration(videoTrackNumber, 0, maxClusterMillis),
		// The defaults panic. Both turn into errors returned by Writer.
		mkvcore.WithOnFatalHandler(onFatal),
		mkvcore.WithOnErrorHandler(onFatal),
	)
	if err != nil {
		return nil, err
	}
	if err := sink.failed(); err != nil {
		for _, w := range ws {
			w.Close()
		}
		return nil, err
	}
	if len(ws) != len(tracks) {
		return nil, errors.New("recorder: ebml-go returned an unexpected number of track writers")
	}
	return ws, nil
}
