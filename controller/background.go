package controller

import (
	"context"
	"fmt"
	"time"

	"mediapush/storage"
	"mediapush/webhook"
)

// openDelivery sets up download signing, S3 uploads and webhooks, and starts the background
// work: uploads, webhook deliveries and retention.
func (c *Controller) openDelivery(cfg Config) error {
	key, err := signingKey(cfg.DataDir)
	if err != nil {
		return err
	}
	signer, err := storage.NewSigner(key)
	if err != nil {
		return err
	}
	d := delivery{signer: signer, ttl: cfg.DownloadTTL, required: cfg.SignedDownloads, base: cfg.PublicURL}
	ctx, cancel := context.WithCancel(context.Background())
	c.stopBackground = cancel
	if cfg.S3.Bucket != "" {
		setup, done := context.WithTimeout(ctx, 30*time.Second)
		s3, err := storage.NewS3(setup, cfg.S3)
		done()
		if err != nil {
			cancel()
			return err
		}
		d.remote = s3
		d.uploader, err = storage.NewUploader(storage.UploaderConfig{
			DB: c.cat.DB(), Store: s3, RemoveLocal: true, MinBackoff: cfg.UploadBackoff,
			OnDone: c.svc.uploaded, Log: cfg.Log,
		})
		if err != nil {
			cancel()
			return err
		}
		cfg.Log.Info().Str("store", s3.Name()).Msg("recordings are kept in S3")
	}
	if cfg.Webhook.URL != "" {
		wc := cfg.Webhook
		wc.DB, wc.Log = c.cat.DB(), cfg.Log
		if d.hooks, err = webhook.New(wc); err != nil {
			cancel()
			return fmt.Errorf("webhook: %w", err)
		}
	}
	// All set before anything runs: an upload left by the previous process may finish at once
	// and must find the webhook outbox to announce it.
	c.svc.delivery = d
	if d.uploader != nil {
		c.goBackground(func() { d.uploader.Run(ctx) })
	}
	if d.hooks != nil {
		c.goBackground(func() { d.hooks.Run(ctx) })
	}
	c.goBackground(func() { c.keepRetention(ctx) })
	return nil
}

func (c *Controller) goBackground(f func()) {
	c.background.Add(1)
	go func() {
		defer c.background.Done()
		f()
	}()
}

// retentionInterval is how often old recordings are looked for.
const retentionInterval = time.Hour

func (c *Controller) keepRetention(ctx context.Context) {
	t := time.NewTicker(retentionInterval)
	defer t.Stop()
	for {
		c.SweepRetention(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// SweepRetention deletes the recordings older than the retention ages, from storage and
// catalog alike, and returns how many.
func (c *Controller) SweepRetention(ctx context.Context) int {
	n := 0
	now := c.cfg.Now()
	for kind, age := range map[string]time.Duration{"mix": c.cfg.MixRetention, "individual": c.cfg.IndividualRetention, "raw": c.cfg.IndividualRetention} {
		if age < 0 {
			continue
		}
		old, err := c.cat.VoDsBefore(ctx, kind, now.Add(-age).UnixMilli())
		if err != nil {
			c.log.Error().Err(err).Msg("retention: listing old recordings failed")
			continue
		}
		for _, v := range old {
			if err := c.svc.DeleteVoD(ctx, v.VodID); err != nil {
				c.log.Error().Err(err).Str("file", v.VodName).Msg("retention: deleting failed")
				continue
			}
			n++
			c.log.Info().Str("file", v.VodName).Str("kind", kind).Str("storage", v.Storage).
				Time("created", time.UnixMilli(v.CreationDate)).Dur("retention", age).Msg("retention: recording deleted")
		}
	}
	return n
}
