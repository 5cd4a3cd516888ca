#!/usr/bin/env bash
# Does a larger gen0 budget shorten the bid path's tail? The API replicas collect gen0 many times a second under the bid
# load; DOTNET_GCgen0size raises the allocation budget between collections. Two graphs in turn, as shipped and with
# the budget given, each warmed up and then measured twice (ABBA over the two graphs' phases), with the GC pauses.
#   bench/gc-gen0.sh               64 MiB
#   GEN0=0x8000000 bench/gc-gen0.sh
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-20s}
WARMUP=${WARMUP:-40s}
CONNECTIONS=${CONNECTIONS:-64}
AUCTIONS=${AUCTIONS:-400}
BIDDERS=${BIDDERS:-200}
GEN0=${GEN0:-0x4000000}
source bench/graph.sh
results="$work/gen0.txt"
seconds=${DURATION%s}

prepare() {
  for i in $(seq 1 "$BIDDERS"); do token "$(printf 'bidder%03d' "$i")"; done >"$work/tokens.txt"
  local seller ends; seller=$(token alice); ends=$(date -u -d '+2 hours' +%Y-%m-%dT%H:%M:%SZ)
  for i in $(seq 1 "$AUCTIONS"); do create_auction "$seller" "$ends"; done >"$work/auctions.txt"
  echo "bench: warming up ($WARMUP)"
  load "$WARMUP" "warmup-$graphs" "$work/auctions.txt" 100
}
phase() { # <label> <first amount>
  echo "bench: $1 ($DURATION)"
  local pause0 gcs0 pause1 gcs1
  read -r pause0 gcs0 _ < <(runtime_of)
  load "$DURATION" "$1" "$work/auctions.txt" "$2"
  read -r pause1 gcs1 _ < <(runtime_of)
  printf '%-12s %7s %8s %8s %8s %9s %8s %9s\n' "$1" "$(sum "$1" accepted_per_s)" "$(worst "$1" p50_ms)" "$(worst "$1" p90_ms)" \
    "$(worst "$1" p99_ms)" "$(worst "$1" p999_ms)" "$(awk -v a="$gcs0" -v b="$gcs1" 'BEGIN{printf "%.0f", b-a}')" \
    "$(awk -v a="$pause0" -v b="$pause1" -v s="$seconds" 'BEGIN{printf "%.1f", 1000*(b-a)/s}')" | tee -a "$results"
}
metrics_on=(--AppHost:Environment:apiservice:Prometheus__Enabled=true)

start_graph "${metrics_on[@]}"
prepare
phase shipped-1 1000000
phase shipped-2 2000000
stop_graph
start_graph "${metrics_on[@]}" "--AppHost:Environment:apiservice:DOTNET_GCgen0size=$GEN0"
prepare
phase gen0-1 1000000
phase gen0-2 2000000
stop_graph

report="bench/results/gc-gen0-$(date -u +%Y-%m-%dT%H%M%SZ).txt"
{
  echo "Gen0 budget and the bid path's tail, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, Release, commit $(git rev-parse --short HEAD)"
  echo "HTTP bids, $CONNECTIONS connections over 2 API replicas, $DURATION per phase after $WARMUP of warm-up, sync persisting; gen0 = DOTNET_GCgen0size=$GEN0"
  printf '%-12s %7s %8s %8s %8s %9s %8s %9s\n' phase bids/s p50_ms p90_ms p99_ms p99.9_ms GCs "GC ms/s"
  cat "$results"
} | tee "$report"
