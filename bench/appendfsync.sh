#!/usr/bin/env bash
# What Redis's appendfsync setting costs bid.lua: the raw EVALSHA load of bids.sh against a throwaway redis-server
# (append-only file on, as the AppHost runs it), `always` and `everysec` in turns, each round on a fresh server, so
# both settings see the same machine and disk in one run. The file goes to $TMPDIR (default /tmp).
#   bench/appendfsync.sh                3 rounds per setting, 300 000 calls each
#   ROUNDS=5 RAW_CALLS=500000 bench/appendfsync.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}

source bench/graph.sh
server=""
stop_server() {
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then kill -TERM "$server"; wait "$server" 2>/dev/null || true; fi
  server=""
}
trap 'stop_server; cleanup' EXIT

port=$((20000 + RANDOM % 40000))
measure() { # <setting> <round>
  local dir="$work/$1-$2"
  mkdir -p "$dir"
  redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --appendonly yes --appendfsync "$1" --save "" \
    --logfile "$dir/redis.log" &
  server=$!
  for _ in $(seq 1 50); do redis-cli -p "$port" PING >/dev/null 2>&1 && break; sleep 0.1; done
  redis-cli -p "$port" PING >/dev/null || { cat "$dir/redis.log"; echo "bench: redis-server did not start on port $port"; exit 1; }
  raw_bid_lua "$dir/raw.csv" Q4.ApiService/Bidding/bid.lua existing -h 127.0.0.1 -p "$port"
  stop_server
  echo "$1 $(tail -1 "$dir/raw.csv" | cut -d, -f2,5,7 | tr -d '"' | tr , ' ')" >>"$work/results.txt"
  tail -1 "$work/results.txt"
}

echo "bench: $ROUNDS rounds of ${RAW_CALLS:-300000} EVALSHA bid.lua calls per setting, 50 connections"
for round in $(seq 1 "$ROUNDS"); do
  measure always "$round"
  measure everysec "$round"
done

median() { awk -v s="$1" '$1==s {print $2}' "$work/results.txt" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
always=$(median always)
everysec=$(median everysec)
report="bench/results/appendfsync-$(date -u +%Y-%m-%dT%H%M%SZ).txt"
{
  echo "Redis appendfsync cost for bid.lua, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $(redis-server --version | cut -d' ' -f3)"
  echo "Raw EVALSHA bid.lua, 50 connections, ${RAW_CALLS:-300000} calls per round, a fresh server per round, AOF in ${TMPDIR:-/tmp}"
  echo "  setting   calls/s    p50 ms  p99 ms"
  awk '{printf "  %-9s %-10s %-7s %s\n", $1, $2, $3, $4}' "$work/results.txt"
  echo "Median calls/s: always $always, everysec $everysec; always / everysec = $(awk -v a="$always" -v e="$everysec" 'BEGIN{printf "%.1f%%", 100*a/e}')"
} | tee "$report"
