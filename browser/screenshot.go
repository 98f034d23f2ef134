package browser

import (
	"bytes"
	"context"
	"fmt"
	"image/png"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// Screenshot is a PNG of the viewport as the page draws it now, exactly Width x Height
// pixels (one per CSS pixel).
func (t *Tab) Screenshot(ctx context.Context) ([]byte, error) {
	ctx, stop := t.bind(ctx)
	defer stop()
	shot, err := chromedp.Call(ctx, cdppage.CaptureScreenshot, cdppage.CaptureScreenshotParams{Format: cdppage.CaptureScreenshotFormatPng})
	if err != nil {
		if dead := t.Err(); dead != nil {
			return nil, dead
		}
		return nil, fmt.Errorf("screenshot: %w", err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(shot.Data))
	if err != nil {
		return nil, fmt.Errorf("screenshot: %w", err)
	}
	if o := t.options(); cfg.Width != o.Width || cfg.Height != o.Height {
		return nil, fmt.Errorf("screenshot: %dx%d instead of the viewport's %dx%d", cfg.Width, cfg.Height, o.Width, o.Height)
	}
	return shot.Data, nil
}
