#!/usr/bin/env bash
# Bids over HTTP against the raw EVALSHA rate of bid.lua, measured in the same run on the same Redis, so the
# ratio holds on a noisy machine. Starts its own graph (Release build, random ports) and stops it at the end.
#   bench/bids.sh                       20 s per measurement
#   DURATION=60s CONNECTIONS=128 bench/bids.sh
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-20s}
WARMUP=${WARMUP:-20s}   # a fresh graph's first seconds under load are its slowest (JIT tiers, pools, caches)
CONNECTIONS=${CONNECTIONS:-64}   # across both API replicas
AUCTIONS=${AUCTIONS:-400}
BIDDERS=${BIDDERS:-200}

source bench/graph.sh
start_graph

echo "bench: signing in $BIDDERS bidders and creating $AUCTIONS auctions"
for i in $(seq 1 "$BIDDERS"); do token "$(printf 'bidder%03d' "$i")"; done >"$work/tokens.txt"
seller=$(token alice)
ends=$(date -u -d '+2 hours' +%Y-%m-%dT%H:%M:%SZ)
# Each load gets auctions of its own: bid amounts start low again with every wrk run.
for phase in warmup alone synced; do
  for i in $(seq 1 "$AUCTIONS"); do create_auction "$seller" "$ends"; done >"$work/auctions-$phase.txt"
done

echo "bench: warming up ($WARMUP)"
load "$WARMUP" warmup
sync_pids=$(jq -r '.syncservice.pids[]' "$endpoints")
echo "bench: HTTP bids for $DURATION, sync service paused (the bid path alone)"
kill -STOP $sync_pids
load "$DURATION" alone
kill -CONT $sync_pids
echo "bench: waiting for the sync service to catch up"
until [ "$(rcli EVAL "$(cat bench/lag.lua)" 1 q4:bids sync)" = "0" ]; do sleep 0.5; done

# While the load runs: the sync service's lag (oldest accepted bid not yet persisted), 5 times a second.
echo "bench: HTTP bids for $DURATION, sync service persisting"
# exec: the sampler must be redis-cli itself, so that killing it stops it.
(exec redis-cli -h "$redis_host" -p "$redis_port" -a "$redis_password" --no-auth-warning \
  -r -1 -i 0.2 EVAL "$(cat bench/lag.lua)" 1 q4:bids sync >"$work/lag.txt") &
sampler=$!
load "$DURATION" synced
kill "$sampler"; wait "$sampler" 2>/dev/null || true

echo "bench: raw EVALSHA of bid.lua for comparison"
raw_bid_lua "$work/raw.csv" Q4.ApiService/Bidding/bid.lua existing -h "$redis_host" -p "$redis_port" -a "$redis_password"
raw=$(tail -1 "$work/raw.csv" | cut -d, -f2 | tr -d '"')
raw_p50=$(tail -1 "$work/raw.csv" | cut -d, -f5 | tr -d '"')
raw_p99=$(tail -1 "$work/raw.csv" | cut -d, -f7 | tr -d '"')

lag_p() { sort -n "$work/lag.txt" | awk -v q="$1" '{a[NR]=$1} END{i=int(NR*q); if(i<1)i=1; print a[i]}'; }
accepted=$(sum alone accepted_per_s)
report="bench/results/bids-$(date -u +%Y-%m-%dT%H%M%SZ).txt"
{
  echo "Q4 bid benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, Release build"
  echo "HTTP: $CONNECTIONS connections over 2 API replicas, $DURATION, $BIDDERS bidders, $AUCTIONS auctions"
  for phase in alone synced; do
    [ "$phase" = alone ] && echo " bid path alone (sync service paused):" || echo " with the sync service persisting every bid:"
    echo "  accepted bids/s      $(sum $phase accepted_per_s)   (accepted $(sum $phase accepted), 409 $(sum $phase conflicts), other $(sum $phase other))"
    echo "  latency p50 / p99    $(worst $phase p50_ms) ms / $(worst $phase p99_ms) ms   (the slower replica's)"
  done
  echo "  sync lag p50 / p99   $(lag_p 0.5) ms / $(lag_p 0.99) ms   (oldest accepted bid not yet in PostgreSQL; $(wc -l <"$work/lag.txt") samples)"
  echo "Raw EVALSHA bid.lua (redis-benchmark, 50 connections, bids on 400 live auctions, every call accepted)"
  echo "  calls/s              $raw"
  echo "  latency p50 / p99    $raw_p50 ms / $raw_p99 ms"
  echo "HTTP accepted (bid path alone) / raw EVALSHA = $(awk -v a="$accepted" -v r="$raw" 'BEGIN{printf "%.1f%%", 100*a/r}')   (target: at least 35%)"
} | tee "$report"
