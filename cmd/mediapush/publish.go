package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"mediapush/synthetic"
)

// publish joins a room as a synthetic participant (a colour and a tone), to try a room
// recording without cameras: mediapush publish 'http://host:5080/live/whip/alice?mainTrack=room1&name=Alice'.
func publish(args []string) error {
	fs := flag.NewFlagSet("publish", flag.ContinueOnError)
	color := fs.String("color", "red", `picture colour, an ffmpeg colour name or 0xRRGGBB; "" for none`)
	tone := fs.Float64("tone", 440, "tone in Hz; 0 for silence")
	token := fs.String("token", "", "publish token, when the server requires one")
	duration := fs.Duration("duration", 0, "leave after this long; 0 stays until Ctrl-C")
	level := fs.String("log-level", "warn", "debug, info, warn or error")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: mediapush publish WHIP_URL [flags]")
		fs.PrintDefaults()
	}
	whipURL, args := leadingArg(args)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if whipURL == "" && fs.NArg() == 1 {
		whipURL = fs.Arg(0)
	}
	if whipURL == "" {
		fs.Usage()
		return errors.New("publish needs a WHIP URL")
	}
	log, err := newLogger(*level)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	setup, cancel := context.WithTimeout(ctx, 30*time.Second)
	p, err := synthetic.Publish(setup, whipURL, synthetic.Options{Color: *color, Tone: *tone, Token: *token, Log: log})
	cancel()
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "publishing %s / %g Hz to %s (Ctrl-C leaves)\n", *color, *tone, whipURL)
	var limit <-chan time.Time
	if *duration > 0 {
		limit = time.After(*duration)
	}
	select {
	case <-ctx.Done():
	case <-limit:
	case <-p.Done():
		p.Close() //nolint:errcheck // the reason is p.Err
		return fmt.Errorf("the server ended the publication: %v", p.Err())
	}
	return p.Close()
}
