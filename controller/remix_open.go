package controller

import (
	"fmt"
	"path/filepath"

	"mediapush/browser"
	"mediapush/remix"
	"mediapush/worker"
)

// openRemixer makes the node's remixer: its layout pages are opened by a Chromium set up as
// the sessions' are (binary, sandbox, operator switches), held to the destination policy by
// the sessions' proxy, or by one of its own on a node that runs no sessions.
func (c *Controller) openRemixer(cfg Config) error {
	switches, err := browser.ParseServerSwitches(cfg.ChromiumSwitches)
	if err != nil {
		return err
	}
	sandbox, _, err := browser.DecideSandbox(cfg.ChromiumSandbox, cfg.ChromiumPath)
	if err != nil {
		return err
	}
	var proxy string
	if c.host != nil {
		proxy = c.host.proxy.Addr()
	} else {
		p, err := c.policy.ListenProxy(cfg.Log)
		if err != nil {
			return fmt.Errorf("destination proxy for remixes: %w", err)
		}
		c.remixProxy, proxy = p, p.Addr()
	}
	fps := cfg.Capture.FrameRate
	if fps == 0 {
		fps = worker.DefaultCaptureFPS
	}
	pages, err := openRemixPages(c.policy)
	if err != nil {
		if c.remixProxy != nil {
			c.remixProxy.Close()
		}
		return err
	}
	page := remix.PageOptions{ExecPath: cfg.ChromiumPath, Sandbox: sandbox, ServerSwitches: switches, Proxy: proxy}
	c.svc.remixer = newRemixer(c.svc, page, fps, filepath.Join(cfg.DataDir, "remix"), cfg.Log)
	c.svc.remixer.pages = pages
	c.svc.remixer.start()
	return nil
}

// closeRemixer stops rendering; a remix under way is taken up at the next start.
func (c *Controller) closeRemixer() {
	if c.svc.remixer != nil {
		c.svc.remixer.close()
		if c.svc.remixer.pages != nil {
			c.svc.remixer.pages.close()
		}
	}
	if c.remixProxy != nil {
		c.remixProxy.Close()
	}
}
