package worker

import (
	"slices"
	"time"

	"mediapush/ingest"
	"mediapush/internal/recname"
	"mediapush/media"
	"mediapush/recorder"
)

// onFirstFrame starts the recording and the live outputs when media starts flowing.
func (s *session) onFirstFrame(video media.Track, audio *media.Track) (ingest.Sink, error) {
	s.log.Debug().Str("video", string(video.Codec)).Bool("audio", audio != nil).Msg("first frame: media flows")
	s.mu.Lock()
	again := s.outsStarted
	s.outsStarted = true
	in := s.in // the ingest whose media this is, the first tab's or a restarted one's
	s.mu.Unlock()
	s.rec.setOpener(func(formats []recorder.Format, pts time.Duration) (*recording, error) {
		// Dated by its first frame's capture time, not by when the ingest let it through.
		started := in.Epoch().Add(pts)
		return s.w.newRecording(s.job.StreamID, formats, started, video, audio)
	})
	live := &shifted{to: s.outs, epoch: in.Epoch, s: s}
	if again {
		// Started again after a crash: the live outputs run on, this tab's media after the gap.
		return fanout{s.rec, live}, nil
	}
	hlsName := ""
	if slices.Contains(s.job.Record, recorder.HLS) {
		now := time.Now().UTC()
		hlsName = recname.Format(s.job.StreamID, now)
		if err := markHLS(s.w.cfg.DataDir, s.job.StreamID, hlsName, now); err != nil {
			return nil, err
		}
	}
	s.outs.start(video, audio, s.w.StreamsDir(), hlsName)
	for _, target := range s.job.Endpoints {
		if _, err := s.outs.add("", target, ""); err != nil {
			return nil, err
		}
	}
	return fanout{s.rec, live}, nil
}

// fileFormats are the formats made from the recording file: all but the live ones.
func fileFormats(all []recorder.Format) []recorder.Format {
	var out []recorder.Format
	for _, f := range all {
		if !f.Live() {
			out = append(out, f)
		}
	}
	return out
}

// fanout writes to the recording first (it may make a track wait), then to the live outputs
// (they never do).
type fanout struct {
	rec  ingest.Sink
	live ingest.Sink
}

func (f fanout) WriteVideo(smp media.Sample) error {
	err := f.rec.WriteVideo(smp)
	f.live.WriteVideo(smp) //nolint:errcheck // live outputs never fail a write
	return err
}

func (f fanout) WriteAudio(smp media.Sample) error {
	err := f.rec.WriteAudio(smp)
	f.live.WriteAudio(smp) //nolint:errcheck // live outputs never fail a write
	return err
}
