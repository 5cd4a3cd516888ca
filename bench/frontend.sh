#!/usr/bin/env bash
# The front end under a crowd: live watchers through its event-stream proxy while bids arrive, and the home page's
# render rate. Each is measured beside a baseline from the same run (this machine is noisy): the same watchers
# straight on one API replica, and the front end's /alive.
# Starts its own graph (Release build, random ports) and stops it at the end.
#   bench/frontend.sh                               2000 watchers, 20 auctions, 200 bids/s for 30 s
#   WATCHERS=500 RATE=100 SECONDS_=20 bench/frontend.sh
set -euo pipefail
cd "$(dirname "$0")/.."

WATCHERS=${WATCHERS:-2000}
AUCTIONS=${AUCTIONS:-20}
RATE=${RATE:-200}
SECONDS_=${SECONDS_:-30}
DURATION=${DURATION:-15s}
CONNECTIONS=${CONNECTIONS:-64}

ulimit -n 65536 2>/dev/null || true
source bench/graph.sh
start_graph
dotnet build -c Release -v q bench/LiveLoad >/dev/null
frontend=$(jq -r '.frontend.urls[0]' "$endpoints")
frontend_pid=$(jq -r '.frontend.pids[0]' "$endpoints")
api0_pid=$(jq -r '.apiservice.pids[0]' "$endpoints")

live() { # <watch base URL> <pid serving it>
  dotnet bench/LiveLoad/bin/Release/net10.0/LiveLoad.dll "$1/" "$api0/" "$identity" "$WATCHERS" "$AUCTIONS" "$RATE" "$SECONDS_" "$2"
}
echo "bench: $WATCHERS watchers straight on one API replica (baseline)"
direct=$(live "$api0" "$api0_pid"); echo "$direct"
echo "bench: $WATCHERS watchers through the front end"
proxied=$(live "$frontend" "$frontend_pid"); echo "$proxied"

echo "bench: home page and /alive for $DURATION each"
echo "/" >"$work/home.txt"; echo "/alive" >"$work/alive.txt"
for paths in alive home; do
  wrk -t2 -c"$CONNECTIONS" -d5s -s bench/read-load.lua "$frontend" -- "$work/$paths.txt" >/dev/null
  wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -s bench/read-load.lua "$frontend" -- "$work/$paths.txt" >"$work/$paths.out"
  grep -h 'Non-2xx' "$work/$paths.out" && { echo "bench: $paths had errors"; exit 1; }
done
rate() { awk '/^Requests\/sec/{printf "%.0f", $2}' "$work/$1.out"; }
p99() { awk '$1=="99%"{v=$2; printf "%.2f", (v~/us$/)?v/1000:(v~/ms$/)?v+0:v*1000}' "$work/$1.out"; }
field() { jq -r ".$2" <<<"$1"; }

report="bench/results/frontend-$(date -u +%Y-%m-%dT%H%M%SZ).txt"
{
  echo "Q4 front-end benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, Release build"
  echo "Live: $WATCHERS watchers over $AUCTIONS auctions, $RATE bids/s asked for ${SECONDS_} s; delivery = bid's 201 to the watcher"
  for row in "API replica (baseline)|$direct" "front end (relay)|$proxied"; do
    name=${row%%|*}; r=${row#*|}
    printf '  %-24s %6s bids/s  %8s delivered  lost %s  dup %s  p50 %7s ms  p99 %7s ms  max %7s ms  %s KB/watcher\n' \
      "$name" "$(field "$r" bidsPerSecond)" "$(field "$r" delivered)" "$(field "$r" lost)" "$(field "$r" duplicates)" \
      "$(field "$r" p50Ms)" "$(field "$r" p99Ms)" "$(field "$r" maxMs)" "$(( $(field "$r" bytesPerWatcher) / 1024 ))"
  done
  echo "Home page: $CONNECTIONS connections, $DURATION"
  printf '  %-24s %8s req/s  p99 %7s ms\n' "GET /alive (ceiling)" "$(rate alive)" "$(p99 alive)"
  printf '  %-24s %8s req/s  p99 %7s ms  %s of /alive (target: 1000 req/s)\n' "GET / (home page)" "$(rate home)" "$(p99 home)" \
    "$(awk -v a="$(rate home)" -v b="$(rate alive)" 'BEGIN{printf "%.1f%%", 100*a/b}')"
} | tee "$report"
