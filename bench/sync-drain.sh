#!/usr/bin/env bash
# How fast the sync service drains a backlog: pauses both sync replicas, fills the bid stream with BACKLOG valid
# entries (100 auctions, 200 bidders), resumes them and times until every entry is persisted and ACKed.
#   bench/sync-drain.sh              1 000 000 entries
#   BACKLOG=200000 bench/sync-drain.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/graph.sh

BACKLOG=${BACKLOG:-1000000}
start_graph
echo "bench: creating 100 auctions and signing in 200 bidders"
seller=$(token alice)
ends=$(date -u -d '+6 hours' +%Y-%m-%dT%H:%M:%SZ)
for i in $(seq 1 100); do create_auction "$seller" "$ends"; done >"$work/auctions.txt"
for i in $(seq 1 200); do
  t=$(token "$(printf 'bidder%03d' "$i")")
  curl -sf "$api0/me" -H "Authorization: Bearer $t" | jq -r .id     # the first request creates the user row
done >"$work/bidders.txt"

sync_pids=$(jq -r '.syncservice.pids[]' "$endpoints")
echo "bench: pausing the sync service ($sync_pids) and writing $BACKLOG entries to q4:bids"
kill -STOP $sync_pids
auctions_json=$(jq -R . "$work/auctions.txt" | jq -sc .)
bidders_json=$(jq -R . "$work/bidders.txt" | jq -sc .)
chunk=100000
for ((done_=0; done_<BACKLOG; done_+=chunk)); do
  n=$(( BACKLOG - done_ < chunk ? BACKLOG - done_ : chunk ))
  rcli EVAL "$(cat bench/fill.lua)" 1 q4:bids "$n" "$auctions_json" "$bidders_json" "$((1000 + done_))" >/dev/null
done
rcli XINFO GROUPS q4:bids | paste - - | head -20 >"$work/group-before.txt"

echo "bench: resuming the sync service; timing the drain"
started=$(date +%s.%N)
kill -CONT $sync_pids
while true; do
  info=$(rcli XINFO GROUPS q4:bids | paste -sd' ')
  lag=$(awk '{for(i=1;i<=NF;i++) if($i=="lag") print $(i+1)}' <<<"$info")
  pending=$(awk '{for(i=1;i<=NF;i++) if($i=="pending") print $(i+1)}' <<<"$info")
  [ "$lag" = "0" ] && [ "$pending" = "0" ] && break
  sleep 0.2
done
finished=$(date +%s.%N)
rows=$(psql_q "SELECT count(*) FROM bids")
elapsed=$(awk -v a="$started" -v b="$finished" 'BEGIN{printf "%.1f", b-a}')
report="bench/results/sync-drain-$(date -u +%Y-%m-%dT%H%M%SZ).txt"
{
  echo "Q4 sync drain benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, Release build, Sync:BatchSize default"
  echo "  backlog              $BACKLOG entries (100 auctions, 200 bidders)"
  echo "  drained in           $elapsed s"
  echo "  rows in bids         $rows"
  echo "  rows/s               $(awk -v n="$rows" -v s="$elapsed" 'BEGIN{printf "%.0f", n/s}')   (target: at least 20 000)"
} | tee "$report"
