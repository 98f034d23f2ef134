#!/usr/bin/env bash
# What one recording costs, mediapush against the way Jibri and LiveKit Egress record (Xvfb +
# PulseAudio + Chromium + ffmpeg x11grab -> x264 veryfast), on the same page at 1280x720@30,
# interleaved in one run: the machine is shared and noisy, so only ratios within one run count.
#
# usage: scripts/bench/compare.sh [-b MEDIAPUSH_BIN] [-u PAGE_URL] [-r ROUNDS] [-s SECONDS] [-p PRESET]
#   -b  the mediapush binary (default: builds bin/mediapush from this checkout)
#   -u  the page (default: layouts/test-pattern.html served on loopback by this script)
#   -r  rounds of (mediapush, baseline), default 2;  -s  seconds each records, default 30
#   -p  the baseline's x264 preset, default veryfast
# Prints per round the CPU (cores, whole process tree, over the middle of the recording), the
# mean PSS, and each file's frames per second; then mediapush/baseline ratios of the means.
# Needs ffmpeg, chromium, python3, and for the baseline Debian's xvfb and pulseaudio
# (apt-get install -y xvfb pulseaudio; benchmarks only). Run alone on the machine, e.g. under
# flock /tmp/e2e.lock, and add breakdown.py to see the cost by kind of process:
#   python3 scripts/bench/breakdown.py 6 15 -- bin/mediapush record URL -o /tmp/x.mp4 --duration 25s
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
mp="" url="" rounds=2 secs=30 preset=veryfast
while getopts "b:u:r:s:p:" o; do
  case $o in
    b) mp=$OPTARG ;; u) url=$OPTARG ;; r) rounds=$OPTARG ;; s) secs=$OPTARG ;; p) preset=$OPTARG ;;
    *) sed -n '2,16p' "$0"; exit 2 ;;
  esac
done
for tool in ffprobe python3 Xvfb pulseaudio; do
  command -v "$tool" >/dev/null || { echo "compare.sh: $tool is missing (apt-get install -y ffmpeg python3 xvfb pulseaudio)" >&2; exit 1; }
done
[[ $rounds =~ ^[1-9][0-9]*$ && $secs =~ ^[0-9]+$ && $secs -ge 20 ]] || { echo "compare.sh: -r must be ≥ 1 and -s ≥ 20" >&2; exit 2; }

out=$(mktemp -d)
server=""
cleanup() { [[ -n $server ]] && kill "$server" 2>/dev/null; rm -rf "$out"; }
trap cleanup EXIT

if [[ -z $mp ]]; then
  (cd "$root" && go build -o "$out/mediapush" ./cmd/mediapush)
  mp=$out/mediapush
fi
if [[ -z $url ]]; then
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  python3 -m http.server "$port" --bind 127.0.0.1 --directory "$root/layouts" >/dev/null 2>&1 &
  server=$!
  url=http://127.0.0.1:$port/test-pattern.html
  for _ in $(seq 50); do python3 -c "import urllib.request; urllib.request.urlopen('$url')" 2>/dev/null && break; sleep 0.1; done
fi

warm=6 win=$((secs - 10))
# fps: video frames over the file's duration, and over its steady middle (5 s to secs-5 s).
# brief: a treecost.py answer without its stderr tail (the failing run's last words are kept).
brief() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); t=d.pop("stderr_tail"); print(json.dumps(d if d["rc"]==0 else {**d,"stderr_tail":t}))' "$1"; }
fps() {
  ffprobe -v error -select_streams v:0 -show_entries packet=pts_time -of csv=p=0 "$1" |
    awk -v end="$((secs - 5))" -v dur="$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$1")" \
      '{n++} $1>=5 && $1<end {m++} END {printf "{\"fps\": %.2f, \"steady_fps\": %.2f}", n/dur, m/(end-5)}'
}
results=$out/results.jsonl
for r in $(seq 1 "$rounds"); do
  a=$(python3 "$here/treecost.py" "$warm" "$win" -- "$mp" record "$url" -o "$out/mp$r.mp4" --width 1280 --height 720 --duration "${secs}s")
  fa=$(fps "$out/mp$r.mp4")
  echo "{\"who\": \"mediapush\", \"round\": $r, \"cost\": $a, \"file\": $fa}" >>"$results"
  echo "mediapush      round $r: $(brief "$a") $fa"
  b=$(python3 "$here/treecost.py" "$warm" "$win" -- "$here/xvfb_baseline.sh" "$url" "$out/xv$r.mp4" "$secs" 1280 720 "$preset")
  fb=$(fps "$out/xv$r.mp4")
  echo "{\"who\": \"baseline\", \"round\": $r, \"cost\": $b, \"file\": $fb}" >>"$results"
  echo "xvfb+x264 $preset round $r: $(brief "$b") $fb"
done

python3 - "$results" "$preset" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
def mean(who, f):
    v = [f(r) for r in rows if r["who"] == who]
    return sum(v) / len(v)
print()
print(f"{'':22} {'cores':>6} {'PSS MB':>7} {'fps':>6} {'steady fps':>11}")
for who, name in (("mediapush", "mediapush"), ("baseline", "xvfb+x264 " + sys.argv[2])):
    print(f"{name:22} {mean(who, lambda r: r['cost']['cores']):6.3f} {mean(who, lambda r: r['cost']['pss_mb']):7.0f}"
          f" {mean(who, lambda r: r['file']['fps']):6.2f} {mean(who, lambda r: r['file']['steady_fps']):11.2f}")
cpu = mean("mediapush", lambda r: r["cost"]["cores"]) / mean("baseline", lambda r: r["cost"]["cores"])
pss = mean("mediapush", lambda r: r["cost"]["pss_mb"]) / mean("baseline", lambda r: r["cost"]["pss_mb"])
print(f"{'mediapush / baseline':22} {cpu:6.2f}x {pss:6.2f}x")
EOF
