#!/usr/bin/env bash
# Every capacity figure in one run, on an otherwise idle machine:
#   1. one recording's CPU and PSS against the Xvfb + x264 veryfast way, same page, interleaved
#      (compare.sh);
#   2. 1 to 4 concurrent 1280x720@30 sessions, each one's frame rate (the largest N whose
#      min-fps stays at 29 or more is what the machine holds);
#   3. start call -> first frame, p50 and p95, from a warm pool and from none;
#   4. PSS of each extra session as a tab of a shared browser, and of a browser of its own.
# usage: scripts/bench/capacity.sh [-r ROUNDS]   (compare.sh's rounds, default 2)
# Needs what compare.sh needs (Debian's xvfb and pulseaudio for the baseline).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
rounds=2
while getopts "r:" o; do
  case $o in r) rounds=$OPTARG ;; *) sed -n '2,10p' "$0"; exit 2 ;; esac
done
echo "== one recording against Xvfb + x264 veryfast"
"$here/compare.sh" -r "$rounds"
echo
echo "== concurrent sessions, start latency, memory per session"
cd "$root"
go test -run '^$' -bench '^Benchmark(ConcurrentSessions|StartLatency|SessionMemory)$' -benchtime 1x -timeout 30m ./e2e/ |
  grep -E '^(Benchmark|ok|FAIL|---)'
