package worker

import "time"

// setLimitDefaults fills in the limits left at zero and turns negative ones into "none".
func (c *Config) setLimitDefaults() {
	if c.MaxSessions == 0 {
		c.MaxSessions = DefaultMaxSessions()
	}
	if c.MaxSessionLength == 0 {
		c.MaxSessionLength = DefaultMaxSessionLength
	}
	if c.MaxPushes == 0 {
		c.MaxPushes = DefaultMaxPushes
	}
	if c.MaxRestarts == 0 {
		c.MaxRestarts = DefaultMaxRestarts
	}
	if c.MinFreeDisk == 0 {
		c.MinFreeDisk = DefaultMinFreeDisk
	}
	if c.DiskCheckInterval <= 0 {
		c.DiskCheckInterval = DefaultDiskCheckInterval
	}
	if c.FreeSpace == nil {
		c.FreeSpace = FreeSpace
	}
	c.setCapacityDefaults()
}

// diskLow says why the data directory's free space is below the minimum, or "" when it is not.
func (w *Worker) diskLow() (string, error) {
	if w.cfg.MinFreeDisk <= 0 {
		return "", nil
	}
	free, err := w.cfg.FreeSpace(w.cfg.DataDir)
	if err != nil {
		return "", err
	}
	return lowDisk(free, w.cfg.MinFreeDisk), nil
}

// watchDisk ends every running session when free space falls below the minimum, while there
// is still room to finish their recordings.
func (w *Worker) watchDisk() {
	defer close(w.diskDone)
	if w.cfg.MinFreeDisk <= 0 {
		return
	}
	tick := time.NewTicker(w.cfg.DiskCheckInterval)
	defer tick.Stop()
	for {
		select {
		case <-w.stopDisk:
			return
		case <-tick.C:
		}
		w.mu.Lock()
		running := make([]*session, 0, len(w.sessions))
		for _, s := range w.sessions {
			running = append(running, s)
		}
		w.mu.Unlock()
		if len(running) == 0 {
			continue
		}
		low, err := w.diskLow()
		if err != nil {
			w.cfg.Log.Error().Err(err).Msg("checking free space")
			continue
		}
		if low == "" {
			continue
		}
		for _, s := range running {
			// Finishing takes a while: a session is told, and logged, once.
			if s.end(low + ": the recording was finished to keep the disk from filling up") {
				s.log.Warn().Str("reason", low).Msg("free space is low: ending the session")
			}
		}
	}
}
