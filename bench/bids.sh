#!/usr/bin/env bash
# Bids over HTTP against the raw EVALSHA rate of bid.lua, measured in the same run on the same Redis, so the
# ratio holds on a noisy machine. Starts its own graph (Release build, random ports) and stops it at the end.
#   bench/bids.sh                       20 s per measurement
#   DURATION=60s CONNECTIONS=128 bench/bids.sh
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-20s}
CONNECTIONS=${CONNECTIONS:-64}   # across both API replicas
AUCTIONS=${AUCTIONS:-400}
BIDDERS=${BIDDERS:-200}

missing=()
for tool in wrk jq redis-benchmark curl; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
  packages=("${missing[@]/redis-benchmark/redis-tools}")
  echo "bench: installing ${packages[*]}"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${packages[@]}" >/dev/null
fi

work=$(mktemp -d /tmp/q4-bench.XXXXXX)
state="$work/state"
apphost_pid=""
cleanup() {
  if [ -n "$apphost_pid" ] && kill -0 "$apphost_pid" 2>/dev/null; then
    kill -INT "$apphost_pid"; wait "$apphost_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "bench: building (Release)"
dotnet build -c Release -v q Q4.AppHost >/dev/null
echo "bench: starting the graph"
dotnet Q4.AppHost/bin/Release/net10.0/Q4.AppHost.dll --state-dir "$state" --random-ports true --quiet true >"$work/apphost.log" 2>&1 &
apphost_pid=$!
for _ in $(seq 1 240); do [ -f "$state/endpoints.json" ] && break; sleep 0.5; done
[ -f "$state/endpoints.json" ] || { cat "$work/apphost.log"; echo "bench: the graph did not start"; exit 1; }

endpoints="$state/endpoints.json"
identity=$(jq -r '.identity.urls[0]' "$endpoints")
api0=$(jq -r '.apiservice.urls[0]' "$endpoints")
api1=$(jq -r '.apiservice.urls[1]' "$endpoints")
redis=$(jq -r '.redis.connectionString' "$endpoints")      # host:port,password=...
redis_host=${redis%%:*}; rest=${redis#*:}; redis_port=${rest%%,*}; redis_password=${redis#*password=}

token() {
  curl -sf "$identity/realms/q4/protocol/openid-connect/token" \
    -d grant_type=password -d client_id=q4-cli -d "username=$1" -d password=dev-password | jq -r .access_token
}

echo "bench: signing in $BIDDERS bidders and creating $AUCTIONS auctions"
for i in $(seq 1 "$BIDDERS"); do token "$(printf 'bidder%03d' "$i")"; done >"$work/tokens.txt"
seller=$(token alice)
ends=$(date -u -d '+2 hours' +%Y-%m-%dT%H:%M:%SZ)
for i in $(seq 1 "$AUCTIONS"); do
  curl -sf "$api0/auctions" -H "Authorization: Bearer $seller" -H 'Content-Type: application/json' \
    -d "{\"title\":\"Bench lot $i\",\"description\":\"\",\"startingPrice\":100,\"minIncrement\":10,\"endsAt\":\"$ends\"}" | jq -r .id
done >"$work/auctions.txt"

half=$((CONNECTIONS / 2))
load() { # <seconds> <label>
  wrk -t1 -c"$half" -d"$1" --latency -s bench/bid-load.lua "$api0" -- "$work/tokens.txt" "$work/auctions.txt" 0 2 1 >"$work/$2-0.txt" &
  local first=$!
  wrk -t1 -c"$half" -d"$1" --latency -s bench/bid-load.lua "$api1" -- "$work/tokens.txt" "$work/auctions.txt" 1 2 1 >"$work/$2-1.txt"
  wait "$first"
}
echo "bench: warming up"
load 5s warmup
echo "bench: HTTP bids for $DURATION with $CONNECTIONS connections over 2 API replicas"
load "$DURATION" http

# The same script, straight to Redis: every call a first bid on a fresh auction, so each one is accepted and
# does all of the accepted path's writes (state, global stream, event stream, publish).
echo "bench: raw EVALSHA of bid.lua for comparison"
cli=(redis-cli -h "$redis_host" -p "$redis_port" -a "$redis_password" --no-auth-warning)
sha=$("${cli[@]}" SCRIPT LOAD "$(cat Q4.ApiService/Bidding/bid.lua)")
redis-benchmark -h "$redis_host" -p "$redis_port" -a "$redis_password" -n 300000 -c 50 -r 1000000000 --csv \
  EVALSHA "$sha" 3 "q4:bench:a:__rand_int__" q4:bench:bids "q4:bench:a:__rand_int__:events" \
  00000000-0000-0000-0000-000000000001 00000000-0000-0000-0000-000000000002 bench 100 "" 120000 1000 86400 q4:bench:events \
  0 99999999999999 100 10 100 "" 0 "" >"$work/raw.csv"
raw=$(tail -1 "$work/raw.csv" | cut -d, -f2 | tr -d '"')
raw_p50=$(tail -1 "$work/raw.csv" | cut -d, -f5 | tr -d '"')
raw_p99=$(tail -1 "$work/raw.csv" | cut -d, -f7 | tr -d '"')
"${cli[@]}" EVAL "for _, k in ipairs(redis.call('KEYS', 'q4:bench:*')) do redis.call('UNLINK', k) end" 0 >/dev/null

sum() { awk -v f="$1" '/^accepted /{for(i=1;i<=NF;i++) if($i==f) s+=$(i+1)} END{printf "%.0f", s}' "$work"/http-*.txt; }
worst() { awk -v f="$1" '/^accepted /{for(i=1;i<=NF;i++) if($i==f && $(i+1)>m) m=$(i+1)} END{printf "%.2f", m}' "$work"/http-*.txt; }
accepted=$(sum accepted_per_s)
report="bench/results/bids-$(date -u +%Y-%m-%dT%H%M%SZ).txt"
{
  echo "Q4 bid benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, Release build"
  echo "HTTP: $CONNECTIONS connections over 2 API replicas, $DURATION, $BIDDERS bidders, $AUCTIONS auctions"
  echo "  accepted bids/s      $accepted   (accepted $(sum accepted), 409 $(sum conflicts), other $(sum other))"
  echo "  latency p50 / p99    $(worst p50_ms) ms / $(worst p99_ms) ms   (the slower replica's)"
  echo "Raw EVALSHA bid.lua (redis-benchmark, 50 connections, every call accepted)"
  echo "  calls/s              $raw"
  echo "  latency p50 / p99    $raw_p50 ms / $raw_p99 ms"
  echo "HTTP accepted / raw EVALSHA = $(awk -v a="$accepted" -v r="$raw" 'BEGIN{printf "%.1f%%", 100*a/r}')   (target: at least 35%)"
} | tee "$report"
