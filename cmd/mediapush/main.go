// Command mediapush records web pages: it opens a URL in headless Chromium, takes the tab's
// own video and audio in over WebRTC and records it.
//
//	mediapush serve  [--addr :5080] [--data ./data]     run the service (Ant Media's Media Push REST API)
//	mediapush worker --nats URL --data DIR --streams DIR  run sessions for a controller elsewhere
//	mediapush record URL -o FILE [--width --height --duration]   record one page from a terminal
//	mediapush publish WHIP_URL --color red --tone 440              a synthetic conference participant
//	mediapush config [--config FILE] [flags]                       print the configuration in effect
//
// serve and worker read their settings from a YAML file (--config FILE or MEDIAPUSH_CONFIG),
// MEDIAPUSH_* environment variables and flags: see package config.
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/rs/zerolog"
)

const usage = `mediapush records web pages: headless Chromium captures the page's video and audio.

Usage:
  mediapush serve  [--addr :5080] [--data ./data] [--log-level info] [--nats-listen 127.0.0.1:4222 | --nats URL]
  mediapush worker --nats URL --data DIR --streams DIR [--node-id ID] [--controller-url URL] [--drain-timeout 1h]
  mediapush record URL -o FILE.mp4|FILE.webm [--width 1280] [--height 720] [--duration 0]
  mediapush publish WHIP_URL [--color red] [--tone 440] [--token JWT] [--duration 0]
  mediapush config [--config FILE] [flags]     print the configuration in effect, secrets hidden

serve and worker take their settings from a YAML file (--config FILE, or MEDIAPUSH_CONFIG),
MEDIAPUSH_* environment variables and flags, each overriding the one before.

Run "mediapush COMMAND --help" for a command's flags.
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(os.Args[2:])
	case "worker":
		err = workerNode(os.Args[2:])
	case "record":
		err = record(os.Args[2:])
	case "publish":
		err = publish(os.Args[2:])
	case "config":
		err = configCommand(os.Args[2:])
	case "-h", "--help", "help":
		fmt.Print(usage)
		return
	default:
		fmt.Fprintf(os.Stderr, "mediapush: unknown command %q\n\n%s", os.Args[1], usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mediapush:", err)
		os.Exit(1)
	}
}

func newLogger(level string) (zerolog.Logger, error) {
	lvl, err := zerolog.ParseLevel(level)
	if err != nil {
		return zerolog.Logger{}, fmt.Errorf("--log-level %q: use debug, info, warn or error", level)
	}
	return zerolog.New(os.Stderr).Level(lvl).With().Timestamp().Logger(), nil
}

// leadingArg takes a command's positional argument when it comes before the flags, which the
// flag package would not parse.
func leadingArg(args []string) (string, []string) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return args[0], args[1:]
	}
	return "", args
}
