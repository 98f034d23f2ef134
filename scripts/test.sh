#!/usr/bin/env bash
# Sets this machine up (Chromium, ffmpeg, and nginx-rtmp for the push tests) and runs every
# test: real Chromium, real WebRTC on loopback, real ffmpeg. Packages run one after another (-p 1): each records real-time video,
# and two recordings competing for two cores would measure the machine, not mediapush.
# Then every fuzz target runs for a few seconds (scripts/fuzz.sh); either failing fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh --test
export PATH="$PATH:/usr/local/go/bin"
go vet ./...
status=0
go test -p 1 -count=1 -timeout 40m "$@" ./... || status=$?
./scripts/fuzz.sh || status=$?
exit "$status"
