#!/usr/bin/env bash
# Installs mediapush as a system service on Debian: Chromium and ffmpeg from Debian, the binary
# in /usr/local/bin, data in /var/lib/mediapush, a systemd unit running as user "mediapush".
#   sudo ./scripts/install_media-push-plugin.sh [--addr :5080]
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "run as root (sudo $0)" >&2; exit 1; }
addr=":5080"
if [ "${1:-}" = "--addr" ] && [ -n "${2:-}" ]; then addr="$2"; fi

./scripts/deps.sh
export PATH="$PATH:/usr/local/go/bin"
go build -trimpath -o /usr/local/bin/mediapush ./cmd/mediapush

id mediapush >/dev/null 2>&1 || useradd --system --home-dir /var/lib/mediapush --shell /usr/sbin/nologin mediapush
install -d -o mediapush -g mediapush -m 0750 /var/lib/mediapush

cat >/etc/systemd/system/mediapush.service <<UNIT
[Unit]
Description=mediapush: records web pages through headless Chromium
After=network-online.target
Wants=network-online.target

[Service]
# A non-root user: Chromium runs in its sandbox (--chromium-sandbox auto), which needs
# unprivileged user namespaces: do not add RestrictNamespaces= here.
User=mediapush
ExecStart=/usr/local/bin/mediapush serve --addr ${addr} --data /var/lib/mediapush
# SIGTERM finishes every recording before exit.
KillSignal=SIGTERM
TimeoutStopSec=150
Restart=on-failure

[Install]
WantedBy=multi-user.target
UNIT

if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  systemctl enable --now mediapush
  echo "mediapush is running: systemctl status mediapush"
else
  echo "installed; no systemd here: run  sudo -u mediapush /usr/local/bin/mediapush serve --addr ${addr} --data /var/lib/mediapush"
fi
