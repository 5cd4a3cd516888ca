-- wrk script: authenticated bids spread over many auctions. Each wrk process gets its own slice of the
-- auctions, so two processes never bid on the same auction; within a process every bid on an auction is
-- 10 above the last one sent there, so almost every bid is accepted (a few lose a race and get 409).
-- Usage: wrk -t <threads> ... -s bid-load.lua <url> -- <tokens file> <auctions file> <process> <processes> <threads> [from <amount> | hot <since>]
--
-- from: the first bid on each auction is <amount> + 10 instead of 110, so that a later load can bid on the same
-- auctions again (start above the highest amount an earlier load can have reached).
--
-- hot: every connection of every process bids on the same auctions (one hot lot), each bid's amount read from the
-- clock (100 + tens of microseconds since <since>, a Unix time every process shares), so bids rise as fast as they
-- arrive and those overtaken in flight are refused as too low (409), as a crowd's are. The auction's minimum
-- increment must be 1.

local tokens, auctions, counters = {}, {}, {}
local cursor = 0
local hot, since, base = false, 0, 100
local ffi = require("ffi")
ffi.cdef[[
  typedef struct { long tv_sec; long tv_nsec; } q4_timespec;
  int clock_gettime(int clock, q4_timespec *now);
]]
local now = ffi.new("q4_timespec")
local function clock_amount()
  ffi.C.clock_gettime(0, now) -- CLOCK_REALTIME: the same in every process
  return 100 + math.floor(((tonumber(now.tv_sec) - since) * 1e6 + tonumber(now.tv_nsec) / 1e3) / 10)
end
created, conflicts, others = 0, 0, 0
local threads = {}

local function lines(path)
  local result = {}
  for line in io.lines(path) do
    if line ~= "" then table.insert(result, line) end
  end
  return result
end

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  tokens = lines(args[1])
  local all = lines(args[2])
  if args[6] == "hot" then
    hot, since, auctions = true, tonumber(args[7]), all
  else
    if args[6] == "from" then base = tonumber(args[7]) end
    -- Every thread of every process bids on auctions of its own.
    local threadCount = tonumber(args[5])
    local slice, slices = tonumber(args[3]) * threadCount + id, tonumber(args[4]) * threadCount
    for i = 1, #all do
      if (i - 1) % slices == slice then table.insert(auctions, all[i]) end
    end
  end
  for i = 1, #auctions do counters[i] = 0 end
end

function request()
  cursor = cursor + 1
  local a = (cursor - 1) % #auctions + 1
  counters[a] = counters[a] + 1
  local token = tokens[(cursor - 1) % #tokens + 1]
  local amount = hot and clock_amount() or base + counters[a] * 10
  local body = string.format('{"amount":%d}', amount)
  return wrk.format("POST", "/auctions/" .. auctions[a] .. "/bids",
    { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token }, body)
end

function response(status, headers, body)
  if status == 201 then created = created + 1
  elseif status == 409 then conflicts = conflicts + 1
  else others = others + 1 end
end

function done(summary, latency, requests)
  local c, x, o = 0, 0, 0
  for _, thread in ipairs(threads) do
    c = c + thread:get("created")
    x = x + thread:get("conflicts")
    o = o + thread:get("others")
  end
  local seconds = summary.duration / 1e6
  io.write(string.format("accepted %d conflicts %d other %d accepted_per_s %.0f p50_ms %.2f p90_ms %.2f p99_ms %.2f p999_ms %.2f max_ms %.2f\n",
    c, x, o, c / seconds, latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000, latency.max / 1000))
end
