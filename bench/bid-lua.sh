#!/usr/bin/env bash
# What bid.lua costs Redis, against the least a bid could cost (bench/cas.lua) and a plain SET, in one run on a
# throwaway redis-server run as the AppHost runs it (append-only file, here with `everysec`, so the disk's fsync does
# not hide the script's own cost). Every load gets a fresh server (what one load leaves behind, such as 300 000 freed
# streams, must not slow the next), and within a round every load takes its turn, so all of them see the same machine
# (the two scripts swap places every other round). Redis runs on the last core, the load generator on the others.
# Besides the rate, Redis's own count of microseconds per call (INFO commandstats).
#   bench/bid-lua.sh                 the working tree's bid.lua, 3 rounds of 300 000 calls per load
#   bench/bid-lua.sh <revision>      the same, and bid.lua as it was at <revision> beside it (before and after)
#   ROUNDS=5 RAW_CALLS=500000 bench/bid-lua.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
before=${1:-}
command -v redis-benchmark >/dev/null || { echo "bench: installing redis-tools"; DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-tools >/dev/null; }

work=$(mktemp -d /tmp/q4-bench.XXXXXX)
server=""
stop_server() {
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then kill -TERM "$server"; wait "$server" 2>/dev/null || true; fi
  server=""
}
trap 'stop_server; rm -rf "$work"' EXIT
source bench/raw.sh

scripts=(now)
cp Q4.ApiService/Bidding/bid.lua "$work/now.lua"
if [ -n "$before" ]; then
  git show "$before:Q4.ApiService/Bidding/bid.lua" >"$work/before.lua"
  scripts=(before now)
fi

port=$((20000 + RANDOM % 10000))
connection=(-h 127.0.0.1 -p "$port")
# One load: its figures and Redis's microseconds per call of the command it sends.
measure() { # <label> <command in commandstats> <raw function and its arguments...>
  local label=$1 command=$2; shift 2
  redis-cli "${connection[@]}" CONFIG RESETSTAT >/dev/null
  "$@"
  local usec
  usec=$(redis-cli "${connection[@]}" INFO commandstats | tr -d '\r' | awk -F'[=,]' -v c="cmdstat_$command:calls" '$1==c {print $6}')
  echo "$label $(raw_figures "$work/load.csv") $usec" | tee -a "$work/results.txt"
}

start_server() {
  local dir="$work/server-$RANDOM$RANDOM"; mkdir -p "$dir"
  taskset -c "$server_core" redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --appendonly yes --appendfsync everysec --save "" \
    --logfile "$dir/redis.log" &
  server=$!
  for _ in $(seq 1 50); do redis-cli "${connection[@]}" PING >/dev/null 2>&1 && break; sleep 0.1; done
}

# Redis on a core of its own and the load generator on the other, as a deployment would give Redis its own core: the
# two no longer take turns on one core, which made the same script's µs per call vary by half from load to load.
cores=$(nproc)
server_core=$((cores - 1))
[ "$server_core" -gt 0 ] && taskset -pc "0-$((server_core - 1))" $$ >/dev/null
echo "bench: $ROUNDS rounds of ${RAW_CALLS:-300000} calls per load, 50 connections, a fresh server per load"
for round in $(seq 1 "$ROUNDS"); do
  # Every other round the other script first, so neither always runs on the warmer machine.
  order=("${scripts[@]}")
  if [ $((round % 2)) = 0 ]; then order=($(printf '%s\n' "${scripts[@]}" | tac)); fi
  for shape in existing fresh; do
    for script in "${order[@]}"; do
      start_server
      measure "bid.lua-$script-$shape" evalsha raw_bid_lua "$work/load.csv" "$work/$script.lua" "$shape" "${connection[@]}"
      stop_server
    done
  done
  start_server; measure cas.lua evalsha raw_cas "$work/load.csv" "${connection[@]}"; stop_server
  start_server; measure SET set raw_set "$work/load.csv" "${connection[@]}"; stop_server
done

# Medians over the rounds of: calls/s (field 2), p50 (3), p99 (4), µs per call (5).
median() { awk -v l="$1" -v f="$2" '$1==l {print $f}' "$work/results.txt" | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
cas=$(median cas.lua 2)
set_rate=$(median SET 2)
report="bench/results/bid-lua-$(date -u +%Y-%m-%dT%H%M%SZ).txt"
{
  echo "What bid.lua costs Redis, $(date -u +%Y-%m-%dT%H:%M:%SZ), $cores cores, redis $(redis-server --version | cut -d' ' -f3 | cut -d= -f2), commit $(git rev-parse --short HEAD)$([ -n "$before" ] && echo ", before = bid.lua at $before")"
  echo "redis-benchmark, 50 connections, ${RAW_CALLS:-300000} calls per load, $ROUNDS rounds (a fresh server per load on core $server_core, appendfsync everysec); medians"
  echo "  existing = bids on 400 live auctions with the API's arguments; fresh = every call the first bid on a new auction"
  printf '  %-26s %10s %8s %8s %10s %9s %9s\n' load calls/s "p50 ms" "p99 ms" "µs/call" "of cas" "of SET"
  for label in $(awk '{print $1}' "$work/results.txt" | awk '!seen[$1]++'); do
    rate=$(median "$label" 2)
    printf '  %-26s %10.0f %8s %8s %10s %8.1f%% %8.1f%%\n' "$label" "$rate" "$(median "$label" 3)" "$(median "$label" 4)" \
      "$(median "$label" 5)" "$(awk -v a="$rate" -v b="$cas" 'BEGIN{print 100*a/b}')" "$(awk -v a="$rate" -v b="$set_rate" 'BEGIN{print 100*a/b}')"
  done
  echo "Every round:"
  awk '{printf "  %-26s %10.0f %8s %8s %10s\n", $1, $2, $3, $4, $5}' "$work/results.txt"
} | tee "$report"
