-- The sync service's lag in milliseconds: the age, by Redis's clock, of the oldest entry of KEYS[1] that group
-- ARGV[1] has not ACKed (pending, or not delivered yet); 0 when it has persisted everything.
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local oldest = redis.call('XPENDING', KEYS[1], ARGV[1])[2]
if not oldest then
  local delivered = '0-0'
  for _, group in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
    for i = 1, #group, 2 do
      if group[i] == 'name' and group[i + 1] ~= ARGV[1] then break end
      if group[i] == 'last-delivered-id' then delivered = group[i + 1] end
    end
  end
  local next = redis.call('XRANGE', KEYS[1], '(' .. delivered, '+', 'COUNT', 1)
  if #next == 0 then return 0 end
  oldest = next[1][1]
end
return now - tonumber(string.match(oldest, '^(%d+)'))
