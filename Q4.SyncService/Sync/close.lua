-- Settles one auction, once. Redis holds the truth about bids, so the closing is decided here, atomically:
-- the end has passed for everything the sync service has persisted (ARGV[2]), it is not closed yet.
-- KEYS[1] live state hash, KEYS[2] the auction's event stream.
-- ARGV: 1 auction id, 2 persisted-up-to time (ms), 3 events kept per auction, 4 live-events channel,
--       5 traceparent of the settlement (may be empty), published with the live event.
-- Returns {'closed' | 'already', finalPrice, winnerId, winnerName, closedAt, winningTrace}, {'not_due', endsAt} or
-- {'missing'}; winningTrace is the traceparent bid.lua kept of the leading bid ('' when unsold or unknown).

local state = redis.call('HMGET', KEYS[1], 'endsAt', 'closed', 'price', 'bidder', 'bidderName', 'count', 'closedAt', 'trace')
if not state[1] then
  return {'missing'}
end
if state[2] == '1' then
  return {'already', state[3] or '', state[4] or '', state[5] or '', state[7] or '', state[8] or ''}
end
if tonumber(state[1]) > tonumber(ARGV[2]) then
  return {'not_due', state[1]}
end

local clock = redis.call('TIME')
local closedAt = string.format('%.0f', tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000))
local finalPrice, winnerId, winnerName, winningTrace = '', '', '', ''
if tonumber(state[6] or '0') > 0 then
  finalPrice, winnerId, winnerName, winningTrace = state[3], state[4] or '', state[5] or '', state[8] or ''
end
redis.call('HSET', KEYS[1], 'closed', '1', 'closedAt', closedAt)

local seq = tostring(redis.call('HINCRBY', KEYS[1], 'seq', 1)) -- the auction's event count, as bid.lua keeps it
local fields = {'finalPrice', finalPrice, 'winnerId', winnerId, 'winnerName', winnerName, 'closedAt', closedAt, 'seq', seq}
local eventId = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'type', 'closed', unpack(fields))
redis.call('HSET', KEYS[1], 'event', eventId) -- the newest event the state reflects, as bid.lua keeps it
local message = {auction = ARGV[1], id = eventId, type = 'closed'}
for i = 1, #fields, 2 do
  message[fields[i]] = fields[i + 1]
end
if ARGV[5] and ARGV[5] ~= '' then
  message.traceparent = ARGV[5]
end
redis.call('PUBLISH', ARGV[4], cjson.encode(message))
return {'closed', finalPrice, winnerId, winnerName, closedAt, winningTrace}
