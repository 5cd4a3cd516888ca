# Raw loads straight against a Redis with redis-benchmark (50 connections, CSV out), shared by the benchmarks.
# Each takes the CSV file to write and then the connection arguments (-h, -p, -a); RAW_CALLS calls (300 000).

# bid.lua (or the script given) in one of two shapes, every call accepted and doing all of the accepted path's writes:
#   existing  400 auctions seeded once, then bids with the API's nine arguments: the path a live auction takes. Their
#             minimum increment is 0, so a bid of 100 is always high enough.
#   fresh     every call the first bid on a new auction, seeded from the row values passed last (ARGV 10..18, as the
#             API passes them when Redis has no state): each one also creates the auction's state and event stream.
raw_bid_lua() { # <csv> <script> <existing|fresh> <connection arguments...>
  local out=$1 script=$2 shape=$3 sha; shift 3
  sha=$(redis-cli "$@" --no-auth-warning SCRIPT LOAD "$(cat "$script")")
  local constants=(00000000-0000-0000-0000-000000000001 00000000-0000-0000-0000-000000000002 bench 100
    00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01 120000 1000 86400 q4:bench:events)
  local seed=(0 99999999999999 100 0 100 '""' 0 '""' 0)
  if [ "$shape" = existing ]; then
    for i in $(seq -f %012g 0 399); do # redis-benchmark writes __rand_int__ as 12 digits
      echo "EVALSHA $sha 4 q4:bench:a:$i q4:bench:bids q4:bench:a:$i:events q4:bench:ends a$i ${constants[*]:1} ${seed[*]}"
    done | redis-cli "$@" --no-auth-warning >/dev/null
    redis-benchmark "$@" -n "${RAW_CALLS:-300000}" -c 50 -r 400 --csv \
      EVALSHA "$sha" 4 q4:bench:a:__rand_int__ q4:bench:bids q4:bench:a:__rand_int__:events q4:bench:ends "${constants[@]}" >"$out"
  else
    redis-benchmark "$@" -n "${RAW_CALLS:-300000}" -c 50 -r 1000000000 --csv \
      EVALSHA "$sha" 4 q4:bench:a:__rand_int__ q4:bench:bids q4:bench:a:__rand_int__:events q4:bench:ends "${constants[@]}" \
      0 99999999999999 100 0 100 "" 0 "" 0 >"$out"
  fi
  raw_cleanup "$@"
}

# bench/cas.lua: read one number, compare, set it; every call on a new key, so every call writes.
raw_cas() { # <csv> <connection arguments...>
  local out=$1 sha; shift
  sha=$(redis-cli "$@" --no-auth-warning SCRIPT LOAD "$(cat bench/cas.lua)")
  redis-benchmark "$@" -n "${RAW_CALLS:-300000}" -c 50 -r 1000000000 --csv EVALSHA "$sha" 1 q4:bench:cas:__rand_int__ 100 >"$out"
  raw_cleanup "$@"
}

# Plain SET: what one write costs with no script at all.
raw_set() { # <csv> <connection arguments...>
  local out=$1; shift
  redis-benchmark "$@" -n "${RAW_CALLS:-300000}" -c 50 -r 1000000000 --csv SET q4:bench:set:__rand_int__ 100 >"$out"
  raw_cleanup "$@"
}

# DEL, not UNLINK: freeing a load's keys in Redis's background thread would take CPU from the load after it.
raw_cleanup() {
  redis-cli "$@" --no-auth-warning EVAL "for _, k in ipairs(redis.call('KEYS', 'q4:bench:*')) do redis.call('DEL', k) end" 0 >/dev/null
}

# Of a redis-benchmark CSV: calls/s, p50 ms, p99 ms.
raw_figures() { tail -1 "$1" | awk -F'","' '{print $2, $5, $7}'; }
