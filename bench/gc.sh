#!/usr/bin/env bash
# Which garbage-collector setting shortens the bid path's tail, and what memory does it cost? The API replicas run the
# server GC, which since .NET 9 adapts its heaps to the load (DATAS) and on two cores collects gen0 many times a second
# under the bid load. One graph per setting, in turn (the first as shipped), each warmed up and then measured twice,
# with the collections, their pauses and the replicas' working set (both replicas summed) after each phase.
#   bench/gc.sh                                   shipped, a 64 MiB gen0 budget, DATAS off, the workstation GC
#   bench/gc.sh DOTNET_GCgen0size=0x8000000       shipped against the settings given (NAME=value, one graph each)
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-20s}
WARMUP=${WARMUP:-40s}
CONNECTIONS=${CONNECTIONS:-64}
AUCTIONS=${AUCTIONS:-400}
BIDDERS=${BIDDERS:-200}
settings=("$@")
[ ${#settings[@]} -gt 0 ] || settings=(DOTNET_GCgen0size=0x4000000 DOTNET_GCDynamicAdaptationMode=0 DOTNET_gcServer=0)
source bench/graph.sh
results="$work/gc.txt"
seconds=${DURATION%s}

prepare() {
  for i in $(seq 1 "$BIDDERS"); do token "$(printf 'bidder%03d' "$i")"; done >"$work/tokens.txt"
  local seller ends; seller=$(token alice); ends=$(date -u -d '+2 hours' +%Y-%m-%dT%H:%M:%SZ)
  for i in $(seq 1 "$AUCTIONS"); do create_auction "$seller" "$ends"; done >"$work/auctions.txt"
  echo "bench: warming up ($WARMUP)"
  load "$WARMUP" "warmup-$graphs" "$work/auctions.txt" 100
}
# Both replicas' working set, MiB.
working_set() {
  local bytes=0 m
  for url in "$api0" "$api1"; do
    m=$(curl -sf "$url/metrics" || true)
    bytes=$(awk -v a="$bytes" -v b="$(total "$m" dotnet_process_memory_working_set_bytes)" 'BEGIN{print a+b}')
  done
  awk -v b="$bytes" 'BEGIN{printf "%.0f", b/1048576}'
}
phase() { # <label> <first amount>
  echo "bench: $1 ($DURATION)"
  local pause0 gcs0 pause1 gcs1
  read -r pause0 gcs0 _ < <(runtime_of)
  load "$DURATION" "$1" "$work/auctions.txt" "$2"
  read -r pause1 gcs1 _ < <(runtime_of)
  printf '%-34s %7s %7s %7s %7s %8s %5s %8s %7s\n' "$1" "$(sum "$1" accepted_per_s)" "$(worst "$1" p50_ms)" "$(worst "$1" p90_ms)" \
    "$(worst "$1" p99_ms)" "$(worst "$1" p999_ms)" "$(awk -v a="$gcs0" -v b="$gcs1" 'BEGIN{printf "%.0f", b-a}')" \
    "$(awk -v a="$pause0" -v b="$pause1" -v s="$seconds" 'BEGIN{printf "%.1f", 1000*(b-a)/s}')" "$(working_set)" | tee -a "$results"
}
metrics_on=(--AppHost:Environment:apiservice:Prometheus__Enabled=true)

measure() { # <label> [AppHost arguments...]
  local label=$1; shift
  start_graph "${metrics_on[@]}" "$@"
  prepare
  phase "$label-1" 1000000
  phase "$label-2" 2000000
  stop_graph
}
measure shipped
for setting in "${settings[@]}"; do
  measure "$setting" "--AppHost:Environment:apiservice:$setting"
done

report="bench/results/gc-$(date -u +%Y-%m-%dT%H%M%SZ).txt"
{
  echo "GC settings and the bid path's tail, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, Release, commit $(git rev-parse --short HEAD)"
  echo "HTTP bids, $CONNECTIONS connections over 2 API replicas, $DURATION per phase after $WARMUP of warm-up, sync persisting"
  printf '%-34s %7s %7s %7s %7s %8s %5s %8s %7s\n' phase bids/s p50_ms p90_ms p99_ms p99.9_ms GCs "GC ms/s" "WS MiB"
  cat "$results"
} | tee "$report"
