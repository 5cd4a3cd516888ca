#!/usr/bin/env bash
# The dashboard with a full store: the traces and structured logs pages opened in Debian's chromium ROUNDS times each,
# timed from navigation to the first row of data, with one trace and one log record stored (the baseline, same run) and
# again after 50 000 spans (10 000 traces) and 10 000 log records more reached a Release graph's dashboard over
# OTLP/HTTP (bench/DashboardLoad); the AppHost's memory read at each step.
# Target: each page under a second, the AppHost (dashboard and all) under 500 MB.
#   bench/dashboard.sh
#   ROUNDS=10 bench/dashboard.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-5}

source bench/graph.sh
dotnet build -c Release -v q bench/DashboardLoad >/dev/null
start_graph
login=$(grep -o 'Dashboard: http[^ ]*' "$work/apphost.log" | cut -d' ' -f2)
otlp=$(jq -r '.apphost.connectionString' "$endpoints")   # Endpoint=<http>;GrpcEndpoint=<grpc>;ApiKey=<key>
otlp_http=$(sed -n 's/.*Endpoint=\([^;]*\);Grpc.*/\1/p' <<<"$otlp")
key=${otlp##*ApiKey=}
echo "bench: filling the dashboard and opening its pages ($ROUNDS rounds)"
dotnet bench/DashboardLoad/bin/Release/net10.0/DashboardLoad.dll "$login" "$otlp_http" "$key" "$apphost_pid" "$ROUNDS" | tee "$work/dashboard.json"
report="bench/results/dashboard-$(date -u +%Y-%m-%dT%H%M%SZ).txt"
jq -r 'def ratio(a; b): (a / b * 100 | round / 100 | tostring) + "x";
"traces page: first \(.tracesFirstMs) ms, median \(.tracesMedianMs) ms, worst \(.tracesMaxMs) ms; nearly empty (baseline) median \(.tracesBaselineMedianMs) ms: \(ratio(.tracesMedianMs; .tracesBaselineMedianMs))
structured logs page: first \(.structuredFirstMs) ms, median \(.structuredMedianMs) ms, worst \(.structuredMaxMs) ms; nearly empty (baseline) median \(.structuredBaselineMedianMs) ms: \(ratio(.structuredMedianMs; .structuredBaselineMedianMs))
stored: \(.storedTraces) traces, \(.storedLogs) log records (loaded in \(.loadSeconds) s)
AppHost memory: \(.rssBaselineMb) MB nearly empty, \(.rssLoadedMb) MB loaded, \(.rssAfterPagesMb) MB after the pages, peak \(.rssPeakMb) MB"' "$work/dashboard.json" | tee "$report"
echo "bench: report in $report"
