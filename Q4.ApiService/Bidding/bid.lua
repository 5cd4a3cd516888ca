-- Places one bid atomically. Redis runs a script alone, so every check and every write below happens at one
-- instant, and TIME is the one clock all API replicas share.
--
-- KEYS[1] live state hash of the auction      KEYS[2] global bid stream (persisted by the sync service)
-- KEYS[3] the auction's capped event stream   KEYS[4] ends of all open auctions (sorted set; the sync
-- service closes what is due)                 KEYS[5] idempotency key (optional)
-- ARGV: 1 auction id, 2 bidder id, 3 bidder name, 4 amount, 5 traceparent, 6 soft-close window (ms),
--       7 events kept per auction, 8 idempotency lifetime (s), 9 live-events channel,
--       10..18 (optional) the auction as PostgreSQL persisted it, read fresh, used only when Redis holds no state for
--       it: starts at (ms), ends at (ms), starting price, minimum increment, current price, highest bidder, bid count,
--       highest bidder's name, closed ('1' or '0'). Without them a missing state answers {'missing'}: the caller
--       reads the row and calls again, so a lost state is never rebuilt from anything older than the last persisted bid.
--
-- Amounts travel as the decimal strings the API validated (at most 10^15, exact in Lua's doubles); they are
-- compared as numbers but stored as given, never printed from a double.
-- Returns {outcome, ...}: {'accepted', answer}, {'too_low', price, minimum}, {'not_open', startsAt, endsAt, closed},
-- {'missing'}, or {'replay', answer} for a repeated key, where answer is the JSON array
-- [bidId, amount, placedAt, endsAt, extended] of the accepted bid.

-- Cost: Redis runs nothing else while this runs, so every call here is paid by every client. A bid accepted on a
-- live auction makes six calls (TIME, HMGET, two XADDs, PUBLISH, one HSET for the whole new state), a seventh
-- (ZADD) only when the end moves or the state was just seeded. Counters are computed here from what HMGET read,
-- not incremented by further calls; JSON is written out, not encoded from tables; no closures are made per call.

if KEYS[5] then
  local stored = redis.call('GET', KEYS[5])
  if stored then
    return {'replay', stored}
  end
end

local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)

-- startsAt, endsAt, startingPrice, minIncrement, price, count, closed, seq
local state = redis.call('HMGET', KEYS[1], 'startsAt', 'endsAt', 'startingPrice', 'minIncrement', 'price', 'count',
  'closed', 'seq')
local seeded = false
if not state[1] then
  if not ARGV[10] then
    return {'missing'}
  end
  state = {ARGV[10], ARGV[11], ARGV[12], ARGV[13], ARGV[14], ARGV[16], ARGV[18], false}
  seeded = true
end

local startsAt, endsAt = tonumber(state[1]), tonumber(state[2])
local amount, count = tonumber(ARGV[4]), tonumber(state[6])
local minimum
if count == 0 then
  minimum = tonumber(state[3])
else
  minimum = tonumber(state[5]) + tonumber(state[4])
end
local refusal
if state[7] == '1' or now < startsAt or now >= endsAt then
  refusal = {'not_open', state[1], state[2], state[7]}
elseif amount < minimum then
  refusal = {'too_low', state[5], string.format('%.0f', minimum)}
end
if refusal then
  -- A seeded state is written even when the bid is refused, so the next bid needs no row.
  if seeded then
    redis.call('HSET', KEYS[1], 'startsAt', ARGV[10], 'endsAt', ARGV[11], 'startingPrice', ARGV[12],
      'minIncrement', ARGV[13], 'price', ARGV[14], 'bidder', ARGV[15], 'count', ARGV[16], 'bidderName', ARGV[17],
      'closed', ARGV[18])
    if ARGV[18] ~= '1' then
      redis.call('ZADD', KEYS[4], ARGV[11], ARGV[1])
    end
  end
  return refusal
end

-- Soft close: a bid inside the closing window leaves the others a full window to answer.
local window = tonumber(ARGV[6])
local extended = endsAt - now < window
local newEndsAt = state[2]
if extended then
  newEndsAt = string.format('%.0f', now + window)
end
if extended or seeded then
  redis.call('ZADD', KEYS[4], newEndsAt, ARGV[1])
end
local placedAt = string.format('%.0f', now)

local bidId = redis.call('XADD', KEYS[2], '*', 'auction', ARGV[1], 'bidder', ARGV[2], 'bidderName', ARGV[3],
  'amount', ARGV[4], 'placedAt', placedAt, 'endsAt', newEndsAt, 'traceparent', ARGV[5])

-- Each event goes to the auction's stream (replay for clients that reconnect) and, as JSON, to live subscribers. Its
-- 'seq' counts the auction's events one by one, so a watcher that receives one out of turn knows it missed some. The
-- JSON is written out here rather than encoded from a table, which costs Redis less: every value is a GUID, a number
-- or a stream id the API or this script made, except the bidder's name, which cjson quotes. The traceparent goes live
-- only (the auction's stream does not keep it): each API replica's fan-out span links to the bid's trace.
local live = ARGV[5] ~= '' and (',"traceparent":' .. cjson.encode(ARGV[5])) or ''
local seq = tonumber(state[8] or '0') + 1
local seqText = string.format('%d', seq)
-- The lowest next bid travels with the event, so no watcher needs the rule above.
local nextMinimum = string.format('%.0f', amount + tonumber(state[4]))
local eventId = redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[7], '*', 'type', 'bid', 'seq', seqText,
  'bidId', bidId, 'amount', ARGV[4], 'bidderId', ARGV[2], 'bidderName', ARGV[3], 'placedAt', placedAt,
  'endsAt', newEndsAt, 'minimumBid', nextMinimum)
redis.call('PUBLISH', ARGV[9], '{"type":"bid","auction":"' .. ARGV[1] .. '","id":"' .. eventId .. '","seq":"' ..
  seqText .. '","bidId":"' .. bidId .. '","amount":"' .. ARGV[4] .. '","bidderId":"' .. ARGV[2] ..
  '","bidderName":' .. cjson.encode(ARGV[3]) .. ',"placedAt":"' .. placedAt .. '","endsAt":"' .. newEndsAt ..
  '","minimumBid":"' .. nextMinimum .. '"' .. live .. '}')
if extended then
  seq = seq + 1
  seqText = string.format('%d', seq)
  eventId = redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[7], '*', 'type', 'extended', 'seq', seqText,
    'bidId', bidId, 'endsAt', newEndsAt, 'previousEndsAt', state[2])
  redis.call('PUBLISH', ARGV[9], '{"type":"extended","auction":"' .. ARGV[1] .. '","id":"' .. eventId .. '","seq":"' ..
    seqText .. '","bidId":"' .. bidId .. '","endsAt":"' .. newEndsAt .. '","previousEndsAt":"' .. state[2] .. '"' ..
    live .. '}')
end

-- The whole new state in one write. 'trace' is the leading bid's traceparent: the sync service's settlement span
-- links to it when the auction closes. 'event' names the newest event the state reflects: a page that shows it
-- opens the stream after that event.
if seeded then
  redis.call('HSET', KEYS[1], 'price', ARGV[4], 'bidder', ARGV[2], 'bidderName', ARGV[3], 'endsAt', newEndsAt,
    'trace', ARGV[5], 'count', string.format('%d', count + 1), 'seq', seqText, 'event', eventId,
    'startsAt', ARGV[10], 'startingPrice', ARGV[12], 'minIncrement', ARGV[13], 'closed', ARGV[18])
else
  redis.call('HSET', KEYS[1], 'price', ARGV[4], 'bidder', ARGV[2], 'bidderName', ARGV[3], 'endsAt', newEndsAt,
    'trace', ARGV[5], 'count', string.format('%d', count + 1), 'seq', seqText, 'event', eventId)
end

local answer = '["' .. bidId .. '","' .. ARGV[4] .. '","' .. placedAt .. '","' .. newEndsAt .. '","' ..
  (extended and '1' or '0') .. '"]'
if KEYS[5] then
  redis.call('SET', KEYS[5], answer, 'EX', ARGV[8])
end
return {'accepted', answer}
