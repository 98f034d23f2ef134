#!/usr/bin/env bash
# Installs what mediapush runs with, from Debian's packages, when it is missing:
# Chromium (the browser that renders and captures pages) and ffmpeg (finishes recordings).
# With --test, also what the tests need besides: nginx with its RTMP module, iproute2, curl,
# Node.js's npm, and the clients the tests run from npm (pinned in e2e/web/package-lock.json).
set -euo pipefail

missing=()
[ -x /usr/lib/chromium/chromium ] || command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1 || missing+=(ffmpeg)
# Fonts so that pages render text; tzdata for the log's local times.
fc-list 2>/dev/null | grep -qi dejavu || missing+=(fonts-dejavu-core)
# nginx with its RTMP module: the RTMP server the tests push to (internal/rtmptest runs its
# own instance of it per test, as the current user; the nginx service is not used).
if [ "${1:-}" = "--test" ]; then
  [ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || missing+=(nginx)
  compgen -G '/usr/lib/nginx/modules/*rtmp*.so' >/dev/null || missing+=(libnginx-mod-rtmp)
  # ip and curl: the access tests call the API from a host of their own (a network namespace).
  command -v ip >/dev/null 2>&1 || missing+=(iproute2)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  # npm: Ant Media's JS SDK with StreamApp's pages, and the WHIP/WHEP reference client.
  command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
fi

install_npm_clients() {
  [ "${1:-}" = "--test" ] || return 0
  local web
  web="$(dirname "$0")/../e2e/web"
  # npm ci installs exactly what the lock file pins, and runs no package's install scripts.
  npm ci --prefix "$web" --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null
}

if [ ${#missing[@]} -eq 0 ]; then
  install_npm_clients "${1:-}"
  exit 0
fi
echo "installing from Debian: ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "run as root or install sudo: need ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian's nginx starts its service on install, unless a policy-rc.d forbids it as in most
# containers, and serves a default site on :80: nothing here wants it running or booting.
if [[ " ${missing[*]} " == *" nginx "* ]]; then
  if [ -d /run/systemd/system ]; then
    $sudo systemctl disable --now nginx >/dev/null 2>&1 || true
  else
    $sudo service nginx stop >/dev/null 2>&1 || true
    $sudo update-rc.d nginx disable >/dev/null 2>&1 || true
  fi
fi

if ! command -v go >/dev/null 2>&1 && [ ! -x /usr/local/go/bin/go ]; then
  echo "Go 1.26 or newer is needed to build mediapush (https://go.dev/dl/)" >&2
  exit 1
fi

install_npm_clients "${1:-}"
