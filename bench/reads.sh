#!/usr/bin/env bash
# The read paths a crowd of watchers hits: the live list and one auction's page, each against the cheapest
# endpoint the API has (/alive: no store behind it) in the same run, so the ratios hold on a noisy machine.
# Starts its own graph (Release build, random ports) and stops it at the end.
#   bench/reads.sh                      15 s per measurement
#   DURATION=30s CONNECTIONS=128 bench/reads.sh
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-15s}
CONNECTIONS=${CONNECTIONS:-64}   # across both API replicas
AUCTIONS=${AUCTIONS:-500}

source bench/graph.sh
start_graph

echo "bench: creating $AUCTIONS live auctions with a bid on every fifth"
seller=$(token alice)
bidder=$(token bob)
for i in $(seq 1 "$AUCTIONS"); do
  create_auction "$seller" "$(date -u -d "+$((60 + i % 600)) minutes" +%Y-%m-%dT%H:%M:%SZ)"
done >"$work/auctions.txt"
awk 'NR % 5 == 0' "$work/auctions.txt" | while read -r id; do
  curl -sf "$api0/auctions/$id/bids" -H "Authorization: Bearer $bidder" -H 'Content-Type: application/json' \
    -d '{"amount":150}' >/dev/null
done
sed 's|^|/auctions/|' "$work/auctions.txt" >"$work/details.txt"
echo "/auctions?status=live&sort=endsAt&limit=20" >"$work/list.txt"
echo "/alive" >"$work/alive.txt"

half=$((CONNECTIONS / 2))
load() { # <duration> <paths> -> requests/s over both replicas, then p50 and p99 of the slower one
  wrk -t1 -c"$half" -d"$1" --latency -s bench/read-load.lua "$api0" -- "$work/$2.txt" >"$work/$2-0.txt" &
  local first=$!
  wrk -t1 -c"$half" -d"$1" --latency -s bench/read-load.lua "$api1" -- "$work/$2.txt" >"$work/$2-1.txt"
  wait "$first"
  grep -h 'Non-2xx' "$work/$2"-*.txt && { echo "bench: $2 had errors"; exit 1; }
  return 0
}
rate() { awk '/^Requests\/sec/{s+=$2} END{printf "%.0f", s}' "$work/$1"-*.txt; }
latency() { # <paths> <percentile label, e.g. 50%>
  awk -v p="$2" '$1==p{v=$2; ms=(v~/us$/)?v/1000:(v~/ms$/)?v+0:v*1000; if(ms>m)m=ms} END{printf "%.2f", m}' "$work/$1"-*.txt
}

echo "bench: warming up"
load 5s list >/dev/null; load 5s details >/dev/null
for paths in alive list details; do
  echo "bench: $paths for $DURATION"
  load "$DURATION" "$paths"
done

report="bench/results/reads-$(date -u +%Y-%m-%dT%H%M%SZ).txt"
ratio() { awk -v a="$(rate "$1")" -v b="$(rate alive)" 'BEGIN{printf "%.1f%%", 100*a/b}'; }
{
  echo "Q4 read benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, Release build"
  echo "HTTP: $CONNECTIONS connections over 2 API replicas, $DURATION each, $AUCTIONS live auctions"
  printf '  %-52s %8s req/s  p50 %6s ms  p99 %6s ms\n' "GET /alive (no store: the ceiling)" "$(rate alive)" "$(latency alive 50%)" "$(latency alive 99%)"
  printf '  %-52s %8s req/s  p50 %6s ms  p99 %6s ms  %s of /alive (target: 10000 req/s)\n' \
    "GET /auctions?status=live&sort=endsAt&limit=20" "$(rate list)" "$(latency list 50%)" "$(latency list 99%)" "$(ratio list)"
  printf '  %-52s %8s req/s  p50 %6s ms  p99 %6s ms  %s of /alive (target: 15000 req/s)\n' \
    "GET /auctions/{id} ($AUCTIONS ids in turn)" "$(rate details)" "$(latency details 50%)" "$(latency details 99%)" "$(ratio details)"
} | tee "$report"
