#!/usr/bin/env bash
# What telemetry costs the bid path, and how much the dashboard takes in. One run, two parts:
#  1. Bids over HTTP with the services exporting to the dashboard (as `dotnet run` has them) and with exporting off
#     (--AppHost:ExportTelemetry false): graphs started in turn, off and on, ROUNDS times, the same load on each, the
#     sync service persisting as usual, in the order off, on, on, off, …; compared as a ratio of the means. Then side
#     by side in one graph: one API replica exporting, the other not, under the same load at once.
#  2. The dashboard's OTLP receiver alone (bench/OtlpLoad, on the last graph): spans/s accepted over HTTP/protobuf
#     and over gRPC, the time an export waits for its answer, and the AppHost's CPU per 100 000 spans.
#   bench/telemetry.sh
#   ROUNDS=3 DURATION=30s bench/telemetry.sh
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-20s}
CONNECTIONS=${CONNECTIONS:-64}   # across both API replicas
AUCTIONS=${AUCTIONS:-400}
BIDDERS=${BIDDERS:-200}
ROUNDS=${ROUNDS:-2}
INGEST_SECONDS=${INGEST_SECONDS:-15}
SENDERS=${SENDERS:-8}

source bench/graph.sh
dotnet build -c Release -v q bench/OtlpLoad >/dev/null


bid_round() { # <label> <AppHost arguments...>
  local label=$1; shift
  start_graph "$@"
  for i in $(seq 1 "$BIDDERS"); do token "$(printf 'bidder%03d' "$i")"; done >"$work/tokens.txt"
  local seller ends
  seller=$(token alice)
  ends=$(date -u -d '+2 hours' +%Y-%m-%dT%H:%M:%SZ)
  for phase in "warmup-$label" "$label"; do
    for i in $(seq 1 "$AUCTIONS"); do create_auction "$seller" "$ends"; done >"$work/auctions-$phase.txt"
  done
  load 5s "warmup-$label"
  echo "bench: $label: HTTP bids for $DURATION"
  load "$DURATION" "$label"
  echo "$label $(sum "$label" accepted_per_s) $(worst "$label" p50_ms) $(worst "$label" p99_ms)" >>"$work/rounds.txt"
}

# Off, on, on, off, off, on, ...: a drift over the run (the machine warming up, another job) favours neither.
order=()
for round in $(seq 1 "$ROUNDS"); do
  if [ $((round % 2)) = 1 ]; then order+=("off-$round" "on-$round"); else order+=("on-$round" "off-$round"); fi
done
last=${order[-1]}
for label in "${order[@]}"; do
  if [ "${label%%-*}" = off ]; then bid_round "$label" --AppHost:ExportTelemetry false; else bid_round "$label"; fi
  [ "$label" = "$last" ] || stop_graph
done
stop_graph

# Side by side: one graph, one API replica exporting and the other not, the same load on both at the same moment, so
# whatever the machine does meanwhile hits both. Twice, each replica once the one without an exporter (an empty
# OTLP endpoint: ServiceDefaults then adds none), so a difference between the replicas themselves cancels out.
one() { awk -v f="$2" '/^accepted /{for(i=1;i<=NF;i++) if($i==f) print $(i+1)}' "$work/$1.txt"; }
for quiet in 1 0; do
  bid_round "pair-$quiet" "--AppHost:Environment:apiservice-$quiet:OTEL_EXPORTER_OTLP_ENDPOINT="
  # The quiet replica must really be quiet: the dashboard knows only the other apiservice replica.
  key=$(jq -r '.apphost.connectionString' "$endpoints" | sed -n 's/.*ApiKey=\([^;]*\).*/\1/p')   # the dashboard asks for it
  exporting=$(curl -sf -H "x-otlp-api-key: $key" "$(jq -r '.apphost.urls[0]' "$endpoints")/api/telemetry/resources" | jq '[.data[] | select(.name == "apiservice")] | length')
  [ "$exporting" = 1 ] || { echo "bench: expected one exporting API replica, the dashboard knows $exporting"; exit 1; }
  loud=$((1 - quiet))
  echo "pair-$quiet $(one "pair-$quiet-$loud" accepted_per_s) $(one "pair-$quiet-$quiet" accepted_per_s) $(one "pair-$quiet-$loud" p99_ms) $(one "pair-$quiet-$quiet" p99_ms)" >>"$work/pairs.txt"
  [ "$quiet" = 0 ] || stop_graph
done

otlp=$(jq -r '.apphost.connectionString' "$endpoints")   # Endpoint=<http>;GrpcEndpoint=<grpc>;ApiKey=<key>
otlp_http=$(sed -n 's/.*Endpoint=\([^;]*\);Grpc.*/\1/p' <<<"$otlp")
otlp_grpc=$(sed -n 's/.*GrpcEndpoint=\([^;]*\);.*/\1/p' <<<"$otlp")
otlp_key=${otlp##*ApiKey=}
cpu() { awk '{print $14 + $15}' "/proc/$apphost_pid/stat"; }   # user + system, in clock ticks
ticks=$(getconf CLK_TCK)
for protocol in http grpc; do
  url=$otlp_http; [ "$protocol" = grpc ] && url=$otlp_grpc
  echo "bench: OTLP ingest over $protocol for ${INGEST_SECONDS}s"
  before=$(cpu)
  dotnet bench/OtlpLoad/bin/Release/net10.0/OtlpLoad.dll "$protocol" "$url" "$otlp_key" "$INGEST_SECONDS" "$SENDERS" 512 >"$work/ingest-$protocol.json"
  echo "$(( $(cpu) - before ))" >"$work/ingest-$protocol.cpu"
done

mean() { awk -v p="$1" '$1 ~ "^"p"-" {s+=$2; n++} END{printf "%.0f", s/n}' "$work/rounds.txt"; }
report="bench/results/telemetry-$(date -u +%Y-%m-%dT%H%M%SZ).txt"
{
  echo "Q4 telemetry benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, Release build"
  echo "1. Bid path: $CONNECTIONS connections over 2 API replicas, $DURATION per round, sync service persisting"
  echo "   round    accepted bids/s   p50 / p99 (slower replica)"
  while read -r label rate p50 p99; do printf '   %-8s %15s   %s / %s ms\n' "$label" "$rate" "$p50" "$p99"; done <"$work/rounds.txt"
  off=$(mean off); on=$(mean on)
  echo "   mean: exporting off $off/s, on $on/s; on / off = $(awk -v a="$on" -v b="$off" 'BEGIN{printf "%.1f%%", 100*a/b}')"
  echo "   side by side (one graph, one replica exporting, $((CONNECTIONS / 2)) connections each):"
  while read -r label on_rate off_rate on_p99 off_p99; do
    echo "   $label: exporting $on_rate/s (p99 $on_p99 ms), not exporting $off_rate/s (p99 $off_p99 ms); on / off = $(awk -v a="$on_rate" -v b="$off_rate" 'BEGIN{printf "%.1f%%", 100*a/b}')"
  done <"$work/pairs.txt"
  echo "   side by side, both pairs: on / off = $(awk '{a+=$2; b+=$3} END{printf "%.1f%%", 100*a/b}' "$work/pairs.txt")   (target: at least 90%)"
  echo "2. OTLP receiver (the dashboard in the AppHost), $SENDERS senders, 512 spans per export, ${INGEST_SECONDS}s each"
  for protocol in http grpc; do
    line=$(cat "$work/ingest-$protocol.json")
    spans=$(jq -r .spansPerSecond <<<"$line")
    cpu_s=$(awk -v t="$(cat "$work/ingest-$protocol.cpu")" -v k="$ticks" 'BEGIN{printf "%.2f", t/k}')
    echo "   $protocol: $spans spans/s, export p50 $(jq -r .p50Ms <<<"$line") ms, p99 $(jq -r .p99Ms <<<"$line") ms," \
      "failed exports $(jq -r .failedExports <<<"$line"); AppHost CPU $cpu_s s (target: at least 50 000 spans/s)"
  done
} | tee "$report"
