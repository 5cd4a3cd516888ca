# Shared by the benchmarks: builds Release, starts a graph of its own (random ports, its own state folder),
# and stops it on exit. Defines $work, $endpoints, $identity, $api0, $api1 and the helpers below.

missing=()
for tool in wrk jq redis-benchmark curl psql pgbench; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
  packages=("${missing[@]/redis-benchmark/redis-tools}")
  packages=("${packages[@]/psql/postgresql-client}")
  packages=("${packages[@]/pgbench/postgresql}")
  echo "bench: installing ${packages[*]}"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${packages[@]}" >/dev/null
fi

work=$(mktemp -d /tmp/q4-bench.XXXXXX)
apphost_pid=""
cleanup() {
  if [ -n "$apphost_pid" ] && kill -0 "$apphost_pid" 2>/dev/null; then
    # SIGTERM: a background job of a non-interactive shell ignores SIGINT.
    kill -TERM "$apphost_pid"; wait "$apphost_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

graphs=0
start_graph() { # [extra AppHost arguments...]
  if [ "$graphs" = 0 ]; then
    echo "bench: building (Release)"
    dotnet build -c Release -v q Q4.AppHost >/dev/null
  fi
  graphs=$((graphs + 1))
  echo "bench: starting the graph $*"
  # Each graph its own state folder: a fresh Redis and PostgreSQL.
  dotnet Q4.AppHost/bin/Release/net10.0/Q4.AppHost.dll --state-dir "$work/state-$graphs" --random-ports true --quiet true "$@" \
    >"$work/apphost.log" 2>&1 &
  apphost_pid=$!
  endpoints="$work/state-$graphs/endpoints.json"
  for _ in $(seq 1 240); do [ -f "$endpoints" ] && break; sleep 0.5; done
  [ -f "$endpoints" ] || { cat "$work/apphost.log"; echo "bench: the graph did not start"; exit 1; }
  read_endpoints
}

# The addresses and secrets of a started graph, from its endpoints.json ($endpoints).
read_endpoints() {
  identity=$(jq -r '.identity.urls[0]' "$endpoints")
  api0=$(jq -r '.apiservice.urls[0]' "$endpoints")
  api1=$(jq -r '.apiservice.urls[1]' "$endpoints")
  local redis rest
  redis=$(jq -r '.redis.connectionString' "$endpoints")     # host:port,password=...
  redis_host=${redis%%:*}; rest=${redis#*:}; redis_port=${rest%%,*}; redis_password=${redis#*password=}
}

source bench/raw.sh

stop_graph() {
  kill -TERM "$apphost_pid"; wait "$apphost_pid" 2>/dev/null || true
  apphost_pid=""
}

# HTTP bids with bench/bid-load.lua: one wrk per API replica, CONNECTIONS in all, each on its own half of the
# auctions in $work/auctions-<label>.txt (or the file given), bids rising from 110 (or above the amount given);
# wrk's report goes to $work/<label>-<replica>.txt.
load() { # <seconds> <label> [auctions file] [first amount]
  local half=$(( ${CONNECTIONS:-64} / 2 )) auctions=${3:-$work/auctions-$2.txt} from=()
  [ -n "${4:-}" ] && from=(from "$4")
  wrk -t1 -c"$half" -d"$1" --latency -s bench/bid-load.lua "$api0" -- "$work/tokens.txt" "$auctions" 0 2 1 "${from[@]}" >"$work/$2-0.txt" &
  local first=$!
  wrk -t1 -c"$half" -d"$1" --latency -s bench/bid-load.lua "$api1" -- "$work/tokens.txt" "$auctions" 1 2 1 "${from[@]}" >"$work/$2-1.txt"
  wait "$first"
}
# Of a load's reports: the sum of a field over both replicas, and the larger of the two.
sum() { awk -v f="$2" '/^accepted /{for(i=1;i<=NF;i++) if($i==f) s+=$(i+1)} END{printf "%.0f", s}' "$work/$1"-*.txt; }
worst() { awk -v f="$2" '/^accepted /{for(i=1;i<=NF;i++) if($i==f && $(i+1)>m) m=$(i+1)} END{printf "%.2f", m}' "$work/$1"-*.txt; }

# Of a replica's Prometheus text (its /metrics): the sum of every series of a metric (all generations, all kinds).
total() { # <text> <name>
  awk -v n="$2" '$1 ~ "^"n"({|$)" {s+=$NF} END{printf "%.6f", s}' <<<"$1"
}
runtime_of() { # both replicas summed: GC pause seconds, collections, lock contentions, thread-pool threads
  local pause=0 collections=0 contentions=0 threads=0 m
  for url in "$api0" "$api1"; do
    m=$(curl -sf "$url/metrics" || true)
    pause=$(awk -v a="$pause" -v b="$(total "$m" dotnet_gc_pause_time_seconds_total)" 'BEGIN{print a+b}')
    collections=$(awk -v a="$collections" -v b="$(total "$m" dotnet_gc_collections_total)" 'BEGIN{print a+b}')
    contentions=$(awk -v a="$contentions" -v b="$(total "$m" dotnet_monitor_lock_contentions_total)" 'BEGIN{print a+b}')
    threads=$(awk -v a="$threads" -v b="$(total "$m" dotnet_thread_pool_thread_count_total)" 'BEGIN{print a+b}')
  done
  echo "$pause $collections $contentions $threads"
}

rcli() { redis-cli -h "$redis_host" -p "$redis_port" -a "$redis_password" --no-auth-warning "$@"; }

psql_q() {
  local cs; cs=$(jq -r '.q4db.connectionString' "$endpoints")
  PGPASSWORD=$(sed -n 's/.*Password=\([^;]*\).*/\1/p' <<<"$cs") psql -h 127.0.0.1 \
    -p "$(sed -n 's/.*Port=\([^;]*\).*/\1/p' <<<"$cs")" -U postgres -d q4db -tAc "$1"
}

token() {
  curl -sf "$identity/realms/q4/protocol/openid-connect/token" \
    -d grant_type=password -d client_id=q4-cli -d "username=$1" -d password=dev-password | jq -r .access_token
}

create_auction() { # <token> <ends at> [minimum increment, 10]
  curl -sf "$api0/auctions" -H "Authorization: Bearer $1" -H 'Content-Type: application/json' \
    -d "{\"title\":\"Bench lot\",\"description\":\"\",\"startingPrice\":100,\"minIncrement\":${3:-10},\"endsAt\":\"$2\"}" | jq -r .id
}
