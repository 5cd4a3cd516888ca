#!/usr/bin/env bash
# Where the bid path's tail latency goes. The same HTTP load as bids.sh (64 connections over both API replicas, the
# sync service persisting), in phases that each change one thing, with a phase repeated at the end of each graph so
# drift on this noisy machine shows. For every phase: the latency percentiles, and from each API replica's own
# runtime metrics (/metrics, read before and after) how long its garbage collector paused it and how many
# collections of each generation ran. The load generator's own share is measured on /alive under the same load.
#   bench/tail.sh
#   DURATION=30s bench/tail.sh
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-20s}
WARMUP=${WARMUP:-20s}   # a fresh graph's first seconds under load are its slowest (JIT tiers, pools, caches)
CONNECTIONS=${CONNECTIONS:-64}
AUCTIONS=${AUCTIONS:-400}
BIDDERS=${BIDDERS:-200}
source bench/graph.sh
results="$work/tail.txt"

prepare() { # fresh auctions for every phase of this graph
  for i in $(seq 1 "$BIDDERS"); do token "$(printf 'bidder%03d' "$i")"; done >"$work/tokens.txt"
  local seller ends; seller=$(token alice); ends=$(date -u -d '+2 hours' +%Y-%m-%dT%H:%M:%SZ)
  for phase in "warmup-$graphs" "$@"; do
    for i in $(seq 1 "$AUCTIONS"); do create_auction "$seller" "$ends"; done >"$work/auctions-$phase.txt"
  done
  echo "bench: warming up ($WARMUP)"
  load "$WARMUP" "warmup-$graphs"
}

phase() { # <label> <description>
  echo "bench: $2 ($DURATION)"
  read -r pause0 gcs0 _ < <(runtime_of)
  load "$DURATION" "$1"
  read -r pause1 gcs1 _ < <(runtime_of)
  local seconds=${DURATION%s}
  printf '%-16s %7s %8s %8s %8s %9s %9s %8s %9s   %s\n' "$1" "$(sum "$1" accepted_per_s)" "$(worst "$1" p50_ms)" \
    "$(worst "$1" p90_ms)" "$(worst "$1" p99_ms)" "$(worst "$1" p999_ms)" "$(worst "$1" max_ms)" \
    "$(awk -v a="$gcs0" -v b="$gcs1" 'BEGIN{printf "%.0f", b-a}')" \
    "$(awk -v a="$pause0" -v b="$pause1" -v s="$seconds" 'BEGIN{printf "%.1f", 1000*(b-a)/s}')" "$2" | tee -a "$results"
}

alive() { # the load generator and the machine alone: GET /alive on both replicas, same connections
  echo "bench: GET /alive, the floor ($DURATION)"
  local half=$(( CONNECTIONS / 2 ))
  wrk -t1 -c"$half" -d"$DURATION" --latency "$api0/alive" >"$work/alive-0.txt" &
  local first=$!
  wrk -t1 -c"$half" -d"$DURATION" --latency "$api1/alive" >"$work/alive-1.txt"
  wait "$first" # not a bare wait: the AppHost is a background job too
  local p50 p99
  p50=$(awk '$1=="50%" {print $2}' "$work"/alive-*.txt | sort -h | tail -1)
  p99=$(awk '$1=="99%" {print $2}' "$work"/alive-*.txt | sort -h | tail -1)
  printf '%-16s %7s %8s %8s %8s %9s %9s %8s %9s   %s\n' alive "$(awk '/^Requests\/sec/ {s+=$2} END{printf "%.0f", s}' "$work"/alive-*.txt)" \
    "$p50" - "$p99" - - - - "GET /alive (no store, no auth): the generator and the machine" | tee -a "$results"
}

metrics_on=(--AppHost:Environment:apiservice:Prometheus__Enabled=true)

start_graph "${metrics_on[@]}"
prepare always-1 everysec always-2
phase always-1 "as shipped: Server GC, Redis appendfsync always"
rcli CONFIG SET appendfsync everysec >/dev/null
phase everysec "Redis appendfsync everysec (CONFIG SET at run time)"
rcli CONFIG SET appendfsync always >/dev/null
phase always-2 "as shipped again"
alive
stop_graph

start_graph "${metrics_on[@]}" --AppHost:Environment:apiservice:DOTNET_gcServer=0
prepare workstation always-3
phase workstation "API replicas on workstation GC (DOTNET_gcServer=0)"
stop_graph
start_graph "${metrics_on[@]}"
prepare always-3
phase always-3 "as shipped, a fresh graph (the workstation graph's baseline)"

report="bench/results/tail-$(date -u +%Y-%m-%dT%H%M%SZ).txt"
{
  echo "Bid path tail latency, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, Release, commit $(git rev-parse --short HEAD)"
  echo "HTTP bids, $CONNECTIONS connections over 2 API replicas, $DURATION per phase, sync service persisting; the slower replica's percentiles"
  printf '%-16s %7s %8s %8s %8s %9s %9s %8s %9s   %s\n' phase bids/s p50_ms p90_ms p99_ms p99.9_ms max_ms GCs "GC ms/s" ""
  cat "$results"
  echo "GCs: collections in both API replicas during the phase; GC ms/s: their summed pause time per second of load"
} | tee "$report"
