-- A backlog for the sync service: ARGV[1] valid entries on the bid stream KEYS[1], spread over the auctions and
-- bidders given as JSON arrays (ARGV[2], ARGV[3]), amounts rising from ARGV[4]. Returns how many it wrote.
local n, auctions, bidders, base = tonumber(ARGV[1]), cjson.decode(ARGV[2]), cjson.decode(ARGV[3]), tonumber(ARGV[4])
for i = 1, n do
  local a = auctions[(i % #auctions) + 1]
  redis.call("XADD", KEYS[1], "*", "auction", a, "bidder", bidders[(i % #bidders) + 1], "bidderName", "Bench bidder",
    "amount", string.format("%.0f", base + i), "placedAt", "1800000000000", "endsAt", "1800000000000", "traceparent", "")
end
return n
