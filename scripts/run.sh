#!/usr/bin/env bash
# Sets this machine up (Chromium, ffmpeg) and runs the service on its defaults:
# the API on :5080, recordings and the catalog in ./data. Extra arguments go to "mediapush serve".
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
export PATH="$PATH:/usr/local/go/bin"
go build -o bin/mediapush ./cmd/mediapush
exec ./bin/mediapush serve "$@"
