-- A sliding window of uploads per user, decided atomically on Redis's clock so every API replica counts the same.
-- KEYS[1] the user's recent uploads (sorted set: member = upload id, score = unix ms)
-- ARGV: 1 uploads allowed per window, 2 window (ms), 3 this upload's id
-- Returns {1, 0} when a slot was reserved for this upload, or {0, ms until the oldest upload leaves the window}.

local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local window = tonumber(ARGV[2])

redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, tonumber(oldest[2]) + window - now}
end

redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
return {1, 0}
