package recorder

import "time"

// interleaveWindow bounds how long a sample waits for the other track
// (wall clock), and how far (in PTS) one track may run ahead of the other
// before its writer blocks.
const interleaveWindow = 300 * time.Millisecond

// pending is a sample waiting in the interleave buffer.
type pending struct {
	pts     time.Duration
	key     bool
	data    []byte
	arrived time.Time
}

// queue is a FIFO of pending samples that reuses its backing array.
type queue struct {
	buf  []pending
	head int
}

func (q *queue) len() int            { return len(q.buf) - q.head }
func (q *queue) front() *pending     { return &q.buf[q.head] }
func (q *queue) back() *pending      { return &q.buf[len(q.buf)-1] }
func (q *queue) span() time.Duration { return q.back().pts - q.front().pts }

func (q *queue) push(p pending) {
	if q.head > 0 && len(q.buf) == cap(q.buf) {
		n := copy(q.buf, q.buf[q.head:])
		clear(q.buf[n:])
		q.buf = q.buf[:n]
		q.head = 0
	}
	q.buf = append(q.buf, p)
}

func (q *queue) pop() pending {
	p := q.buf[q.head]
	q.buf[q.head] = pending{}
	q.head++
	if q.head == len(q.buf) {
		q.buf = q.buf[:0]
		q.head = 0
	}
	return p
}

// pushLocked queues p on track tr and writes whatever the interleaving
// allows. When tr runs more than interleaveWindow (PTS) ahead of the other
// track, it waits (mutex released) until the other track catches up or the
// oldest sample has waited interleaveWindow (wall clock), so memory stays
// bounded and a fast producer does not starve a slower one.
func (w *Writer) pushLocked(tr int, p pending) {
	w.q[tr].push(p)
	w.lastIn[tr] = p.pts
	w.stalled[tr] = false
	w.drainLocked(p.arrived, false)
	for !w.closed && w.q[tr].len() > 1 && w.q[tr].span() > interleaveWindow {
		wait := time.Until(w.q[tr].front().arrived.Add(interleaveWindow))
		if wait > 0 {
			wake := w.wake
			w.waiters++
			w.mu.Unlock()
			t := time.NewTimer(wait)
			select {
			case <-wake:
			case <-t.C:
			}
			t.Stop()
			w.mu.Lock()
			w.waiters--
		}
		if !w.closed {
			w.drainLocked(time.Now(), false)
		}
	}
	if !w.closed && w.started {
		w.armTimerLocked(time.Now())
	}
}

// drainLocked writes queued samples in PTS order as long as that order is
// certain: the smallest head of two non-empty queues can go, since each
// track is monotonic. A head whose other queue is empty goes when it has
// waited interleaveWindow, when there is no other track, or when force.
// A track that made the other wait that long counts as stalled, and is not
// waited for until it delivers again (a muted or frozen track must not add
// latency to every sample of the other).
func (w *Writer) drainLocked(now time.Time, force bool) {
	popped := false
	if !w.started {
		// Only audio waits before the first keyframe; what has waited a
		// window is older than any keyframe still to come.
		a := &w.q[aidx]
		for a.len() > 0 && (force || now.Sub(a.front().arrived) >= interleaveWindow) {
			a.pop()
			w.dropped.Add(1)
			popped = true
		}
		goto done
	}
	for {
		v, a := &w.q[vidx], &w.q[aidx]
		var tr int
		switch {
		case v.len() > 0 && a.len() > 0:
			tr = vidx
			if a.front().pts < v.front().pts {
				tr = aidx
			}
		case v.len() > 0:
			if w.hasAudio && !force && !w.stalled[aidx] {
				if now.Sub(v.front().arrived) < interleaveWindow {
					goto done
				}
				w.stalled[aidx] = true
			}
			tr = vidx
		case a.len() > 0:
			if !force && !w.stalled[vidx] {
				if now.Sub(a.front().arrived) < interleaveWindow {
					goto done
				}
				w.stalled[vidx] = true
			}
			tr = aidx
		default:
			goto done
		}
		w.emitLocked(tr, w.q[tr].pop())
		popped = true
	}
done:
	if popped {
		w.broadcastLocked()
	}
}

func (w *Writer) broadcastLocked() {
	if w.waiters > 0 {
		close(w.wake)
		w.wake = make(chan struct{})
	}
}

// emitLocked hands one sample to ebml-go, which writes it as a SimpleBlock.
// A sample older than what is already written (possible only after a wait
// timed out) is dropped for audio and moved up to the last timestamp for
// video, which cannot lose a frame without breaking decoding.
func (w *Writer) emitLocked(tr int, p pending) {
	ts := int64((p.pts - w.t0).Round(time.Millisecond) / time.Millisecond)
	if ts < w.lastOut {
		if tr == aidx {
			w.dropped.Add(1)
			return
		}
		ts = w.lastOut
	}
	if w.sink.failed() != nil {
		return // the error is returned by the next call
	}
	w.bw[tr].Write(p.key, ts, p.data) // never fails: it hands the frame to ebml-go's goroutine
	w.lastOut = ts
	w.lastOutMs.Store(ts)
	if tr == vidx {
		w.videoFrames.Add(1)
	} else {
		w.audioFrames.Add(1)
	}
}

// armTimerLocked makes sure a sample left waiting for the other track is
// written once it has waited interleaveWindow, even if no other sample
// arrives.
func (w *Writer) armTimerLocked(now time.Time) {
	var head *pending
	switch {
	case w.q[vidx].len() > 0:
		head = w.q[vidx].front()
	case w.q[aidx].len() > 0:
		head = w.q[aidx].front()
	}
	if head == nil {
		if w.timer != nil {
			w.timer.Stop()
		}
		return
	}
	d := max(head.arrived.Add(interleaveWindow).Sub(now), 0)
	if w.timer == nil {
		w.timer = time.AfterFunc(d, w.onTimer)
	} else {
		w.timer.Reset(d)
	}
}

func (w *Writer) onTimer() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed || !w.started {
		return
	}
	now := time.Now()
	w.drainLocked(now, false)
	w.armTimerLocked(now)
}
