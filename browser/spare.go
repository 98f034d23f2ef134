package browser

import (
	"context"
	"time"
)

// A shared browser keeps one tab made ahead of the session that will take it: a browser
// context with its window, its renderer, the extension's service worker attached and its
// offscreen document open. Making these is most of a start's time in a running browser.

// spareWidth and spareHeight are the window size of a tab made ahead; Open gives it the
// session's size.
const spareWidth, spareHeight = 1280, 720

// prepareSpare starts making the browser's spare tab unless it has one or one is being made.
// A start that comes meanwhile waits for it (see takeSpare).
func (b *Browser) prepareSpare() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.spare != nil || b.preparing || b.Err() != nil {
		return
	}
	b.preparing = true
	b.spareMade = make(chan struct{})
	go b.makeSpare()
}

func (b *Browser) makeSpare() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	t, err := b.NewTab(ctx, TabOptions{Width: spareWidth, Height: spareHeight, Log: b.opts.Log})
	if err == nil {
		err = t.prepareCapture(ctx)
	}
	b.mu.Lock()
	b.preparing = false
	close(b.spareMade)
	if err == nil {
		b.spare = t
		// A spare is nobody's: it does not count as a session sharing the browser.
		b.tabs--
		t.counted = false
	}
	b.mu.Unlock()
	if err != nil {
		if t != nil {
			t.Close()
		}
		if b.Err() == nil {
			b.opts.Log.Warn().Err(err).Msg("making a tab ahead failed")
		}
	}
}

// takeSpare hands the spare tab, if there is a sound one, to a session with options o. A spare
// being made is waited for within ctx: making another tab beside it would only slow both.
func (b *Browser) takeSpare(ctx context.Context, o TabOptions) *Tab {
	if o.Script != "" {
		return nil // a spare was made without it
	}
	b.mu.Lock()
	if b.preparing {
		made := b.spareMade
		b.mu.Unlock()
		select {
		case <-made:
		case <-ctx.Done():
			return nil
		}
		b.mu.Lock()
	}
	t := b.spare
	b.spare = nil
	if t != nil && t.Err() == nil {
		b.tabs++
		t.counted = true
	}
	b.mu.Unlock()
	if t == nil {
		return nil
	}
	if t.Err() != nil {
		t.Close() // its renderer died while it waited
		return nil
	}
	t.mu.Lock()
	t.opts = o
	t.mu.Unlock()
	return t
}
