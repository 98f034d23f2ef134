package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// Errors returned by Uploader.Wait.
var (
	ErrNotQueued    = errors.New("storage: no such upload")
	ErrUploadFailed = errors.New("storage: upload failed")
)

// UploaderConfig configures an Uploader.
type UploaderConfig struct {
	// DB is the service's SQLite database; the uploader keeps its queue in a table "uploads",
	// created if missing.
	DB    *sql.DB
	Store Store
	// RemoveLocal deletes the local file once its upload is confirmed.
	RemoveLocal bool
	// MinBackoff and MaxBackoff bound the exponential, jittered wait between tries of a failing
	// upload; default 1 s and 5 min.
	MinBackoff, MaxBackoff time.Duration
	// OnDone is called after each confirmed upload, e.g. to update the catalog. May be nil.
	OnDone func(key string)
	// Now is the clock; default time.Now.
	Now func() time.Time
	Log zerolog.Logger
}

// Uploader moves files into a Store through a queue persisted in SQLite. A file is enqueued once
// and then uploaded in the background: failures are retried with backoff for as long as it takes,
// a restart picks up where the last process stopped, and with RemoveLocal the local file goes
// only after the store has confirmed its copy. Uploads run one at a time: they are bound by the
// network, and a small machine has its cores busy recording.
type Uploader struct {
	cfg   UploaderConfig
	q     queue
	store string // Store.Name, for logs

	wake chan struct{} // Enqueue tells Run there is work

	mu      sync.Mutex
	changed chan struct{} // closed, and replaced, whenever an upload finishes or fails for good
}

// Wait checks the database this often too, in case a change was made by another process.
const waitPoll = time.Second

// DefaultMinBackoff is the first pause after a failed upload; it doubles with each failure.
const DefaultMinBackoff = time.Second

// dbRetry is how long Run waits after the database failed it.
const dbRetry = 5 * time.Second

// NewUploader creates the queue table if needed. Call Run to start uploading.
func NewUploader(cfg UploaderConfig) (*Uploader, error) {
	if cfg.DB == nil || cfg.Store == nil {
		return nil, errors.New("storage: uploader needs a database and a store")
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = DefaultMinBackoff
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 5 * time.Minute
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = cfg.MinBackoff
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	u := &Uploader{
		cfg:     cfg,
		q:       queue{db: cfg.DB},
		store:   cfg.Store.Name(),
		wake:    make(chan struct{}, 1),
		changed: make(chan struct{}),
	}
	if err := u.q.init(context.Background()); err != nil {
		return nil, fmt.Errorf("storage: creating upload queue: %w", err)
	}
	return u, nil
}

// Enqueue queues the file at path for upload under key. The row is committed before Enqueue
// returns, so the upload survives a crash from then on. Enqueueing a key again, while it is
// pending or after, points it at path and makes it due at once.
func (u *Uploader) Enqueue(ctx context.Context, key, path string) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	if path == "" {
		return fmt.Errorf("storage: enqueue %s: empty path", key)
	}
	// The worker, perhaps in a later process started elsewhere, must find the same file.
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("storage: enqueue %s: %w", key, err)
	}
	if err := u.q.put(ctx, key, abs, u.cfg.Now()); err != nil {
		return fmt.Errorf("storage: enqueue %s: %w", key, err)
	}
	select {
	case u.wake <- struct{}{}:
	default: // Run has a wake-up coming already
	}
	return nil
}

// Pending lists the uploads not yet done: those waiting for a try, and those that failed for good.
func (u *Uploader) Pending(ctx context.Context) ([]Upload, error) {
	ups, err := u.q.pending(ctx)
	if err != nil {
		return nil, fmt.Errorf("storage: upload queue: %w", err)
	}
	return ups, nil
}

// Wait returns nil once key has been uploaded, an error wrapping ErrUploadFailed if it never
// will be, ErrNotQueued for a key that was not enqueued, or the context's error.
func (u *Uploader) Wait(ctx context.Context, key string) error {
	poll := time.NewTicker(waitPoll)
	defer poll.Stop()
	for {
		// Take the channel before reading the state, so a change in between still wakes us.
		u.mu.Lock()
		changed := u.changed
		u.mu.Unlock()

		state, lastErr, found, err := u.q.state(ctx, key)
		switch {
		case err != nil:
			return err
		case !found:
			return fmt.Errorf("%w: %s", ErrNotQueued, key)
		case state == stateDone:
			return nil
		case state == stateFailed:
			return fmt.Errorf("%w: %s: %s", ErrUploadFailed, key, lastErr)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
		case <-poll.C:
		}
	}
}

// Done tells whether key has been uploaded (and not enqueued again since).
func (u *Uploader) Done(ctx context.Context, key string) (bool, error) {
	state, _, found, err := u.q.state(ctx, key)
	return found && state == stateDone, err
}

func (u *Uploader) notify() {
	u.mu.Lock()
	close(u.changed)
	u.changed = make(chan struct{})
	u.mu.Unlock()
}

// Run uploads queued files until ctx ends, starting with any left by a previous process. Call it
// once, in its own goroutine. An upload cut short by ctx stays queued for the next Run.
func (u *Uploader) Run(ctx context.Context) {
	now := u.cfg.Now()
	if err := u.q.dueNow(ctx, now); err != nil && ctx.Err() == nil {
		u.cfg.Log.Error().Err(err).Msg("storage: upload queue")
	}
	if err := u.q.prune(ctx, now); err != nil && ctx.Err() == nil {
		u.cfg.Log.Error().Err(err).Msg("storage: upload queue")
	}
	if ups, err := u.q.pending(ctx); err == nil {
		waiting := 0
		for _, up := range ups {
			if !up.Failed {
				waiting++
			}
		}
		if waiting > 0 {
			u.cfg.Log.Info().Int("uploads", waiting).Str("store", u.store).Msg("storage: resuming queued uploads")
		}
	}
	for ctx.Err() == nil {
		j, ok, err := u.q.next(ctx, u.cfg.Now())
		if err != nil {
			if ctx.Err() == nil {
				u.cfg.Log.Error().Err(err).Msg("storage: upload queue")
				u.sleep(ctx, dbRetry)
			}
			continue
		}
		if ok {
			u.attempt(ctx, j)
			continue
		}
		u.idle(ctx)
	}
}

// idle waits until the earliest pending upload is due, Enqueue adds one, or ctx ends.
func (u *Uploader) idle(ctx context.Context) {
	due, ok, err := u.q.nextDue(ctx)
	if err != nil {
		if ctx.Err() == nil {
			u.cfg.Log.Error().Err(err).Msg("storage: upload queue")
			u.sleep(ctx, dbRetry)
		}
		return
	}
	var timer <-chan time.Time
	if ok {
		d := due.Sub(u.cfg.Now())
		if d <= 0 {
			return
		}
		t := time.NewTimer(d)
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-ctx.Done():
	case <-u.wake:
	case <-timer:
	}
}

// sleep waits for d, an Enqueue, or the end of ctx.
func (u *Uploader) sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-u.wake:
	case <-t.C:
	}
}

// attempt tries j's upload once and records the outcome.
func (u *Uploader) attempt(ctx context.Context, j job) {
	n := j.attempts + 1
	log := u.cfg.Log.With().Str("key", j.key).Str("file", j.path).Int("attempt", n).Str("store", u.store).Logger()
	start := time.Now()
	err := u.upload(ctx, j)
	if err != nil && ctx.Err() != nil {
		// Shutting down: not the store's fault, so not counted; the next Run tries again.
		log.Info().Msg("storage: upload interrupted, left queued")
		return
	}
	// The outcome is recorded even if ctx ends meanwhile: a confirmed upload that went unrecorded
	// would be uploaded again, and one recorded late is no harm.
	rec := context.WithoutCancel(ctx)
	now := u.cfg.Now()

	switch {
	case err == nil:
		current, dbErr := u.q.finish(rec, j, stateDone, "", now, now)
		if dbErr != nil {
			// Still pending in the database, so it will be uploaded again; the file is kept.
			log.Error().Err(dbErr).Msg("storage: uploaded, but could not record it")
			return
		}
		if !current {
			log.Info().Msg("storage: uploaded, but enqueued again meanwhile; uploading the new version")
			return
		}
		log.Info().Dur("took", time.Since(start)).Msg("storage: uploaded")
		// Removed only now that the database says done: removed earlier, a crash in between
		// would leave a pending row whose file is gone.
		if u.cfg.RemoveLocal {
			if err := os.Remove(j.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				log.Warn().Err(err).Msg("storage: removing uploaded file")
			}
		}
		if u.cfg.OnDone != nil {
			u.cfg.OnDone(j.key)
		}
		if err := u.q.prune(rec, now); err != nil {
			log.Warn().Err(err).Msg("storage: upload queue")
		}
		u.notify()

	case permanent(err):
		if _, dbErr := u.q.finish(rec, j, stateFailed, err.Error(), now, now); dbErr != nil {
			log.Error().Err(dbErr).Msg("storage: upload queue")
		}
		log.Error().Err(err).Msg("storage: upload failed for good")
		u.notify()

	default:
		wait := u.backoff(n)
		if _, dbErr := u.q.finish(rec, j, statePending, err.Error(), now.Add(wait), now); dbErr != nil {
			log.Error().Err(dbErr).Msg("storage: upload queue")
		}
		log.Warn().Err(err).Dur("retryIn", wait).Msg("storage: upload failed, will retry")
	}
}

// upload puts j's file into the store.
func (u *Uploader) upload(ctx context.Context, j job) error {
	// Checked here, not left to the store, so that a missing file is told apart from a store
	// that cannot be reached whatever the store's errors look like.
	if _, err := os.Stat(j.path); err != nil {
		return err
	}
	return u.cfg.Store.Put(ctx, j.key, j.path)
}

// permanent reports whether retrying err cannot help.
func permanent(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, ErrInvalidKey)
}

// backoff is the wait after the n-th failed try: MinBackoff doubled per try up to MaxBackoff, of
// which a random half is taken off so that uploads failing together do not retry together.
func (u *Uploader) backoff(n int) time.Duration {
	d := u.cfg.MinBackoff
	for i := 1; i < n && d < u.cfg.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, u.cfg.MaxBackoff)
	half := d / 2
	return d - half + rand.N(half+1)
}
