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
-- Returns {outcome, ...}: {'accepted', answer}, {'too_low', price, count, minIncrement,
-- startingPrice}, {'not_open', startsAt, endsAt, closed}, {'missing'}, or {'replay', answer} for a repeated key, where answer is
-- the JSON array [bidId, amount, placedAt, endsAt, extended] of the accepted bid.

-- Cost: Redis runs nothing else while this runs, so every call here is paid by every client. A bid accepted on a
-- live auction makes six calls (TIME, HMGET, two XADDs, PUBLISH, one HSET for the whole new state), a seventh
-- (ZADD) only when the end moves or the state was just seeded. Counters are computed here from what HMGET read,
-- not incremented by further calls.

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

-- A seeded state is written even when the bid is refused, so the next bid needs no row.
local function seed()
  redis.call('HSET', KEYS[1], 'startsAt', ARGV[10], 'endsAt', ARGV[11], 'startingPrice', ARGV[12],
    'minIncrement', ARGV[13], 'price', ARGV[14], 'bidder', ARGV[15], 'count', ARGV[16], 'bidderName', ARGV[17],
    'closed', ARGV[18])
  if ARGV[18] ~= '1' then
    redis.call('ZADD', KEYS[4], ARGV[11], ARGV[1])
  end
end

local startsAt, endsAt = tonumber(state[1]), tonumber(state[2])
if state[7] == '1' or now < startsAt or now >= endsAt then
  if seeded then seed() end
  return {'not_open', state[1], state[2], state[7]}
end

local amount, count = tonumber(ARGV[4]), tonumber(state[6])
local minimum
if count == 0 then
  minimum = tonumber(state[3])
else
  minimum = tonumber(state[5]) + tonumber(state[4])
end
if amount < minimum then
  if seeded then seed() end
  return {'too_low', state[5], string.format('%.0f', minimum)}
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

-- Each event goes to the auction's stream (replay for clients that reconnect) and to live subscribers. Its 'seq'
-- counts the auction's events one by one, so a watcher that receives one out of turn knows it missed some.
local seq = tonumber(state[8] or '0')
local eventId
local function emit(kind, fields)
  seq = seq + 1
  local seqText = string.format('%d', seq)
  eventId = redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[7], '*', 'type', kind, 'seq', seqText, unpack(fields))
  local message = {auction = ARGV[1], id = eventId, type = kind, seq = seqText}
  for i = 1, #fields, 2 do
    message[fields[i]] = fields[i + 1]
  end
  -- Live only (the auction's stream does not keep it): each API replica's fan-out span links to the bid's trace.
  if ARGV[5] ~= '' then
    message.traceparent = ARGV[5]
  end
  redis.call('PUBLISH', ARGV[9], cjson.encode(message))
end

-- The lowest next bid travels with the event, so no watcher needs the rule above.
local nextMinimum = string.format('%.0f', amount + tonumber(state[4]))
emit('bid', {'bidId', bidId, 'amount', ARGV[4], 'bidderId', ARGV[2], 'bidderName', ARGV[3], 'placedAt', placedAt,
  'endsAt', newEndsAt, 'minimumBid', nextMinimum})
if extended then
  emit('extended', {'bidId', bidId, 'endsAt', newEndsAt, 'previousEndsAt', state[2]})
end

-- The whole new state in one write. 'trace' is the leading bid's traceparent: the sync service's settlement span
-- links to it when the auction closes. 'event' names the newest event the state reflects: a page that shows it
-- opens the stream after that event.
local fields = {'price', ARGV[4], 'bidder', ARGV[2], 'bidderName', ARGV[3], 'endsAt', newEndsAt, 'trace', ARGV[5],
  'count', string.format('%d', count + 1), 'seq', string.format('%d', seq), 'event', eventId}
if seeded then
  for _, field in ipairs({'startsAt', ARGV[10], 'startingPrice', ARGV[12], 'minIncrement', ARGV[13], 'closed', ARGV[18]}) do
    table.insert(fields, field)
  end
end
redis.call('HSET', KEYS[1], unpack(fields))

local answer = cjson.encode({bidId, ARGV[4], placedAt, newEndsAt, extended and '1' or '0'})
if KEYS[5] then
  redis.call('SET', KEYS[5], answer, 'EX', ARGV[8])
end
return {'accepted', answer}
