-- The least a bid could be: compare one number and set it (bench/bid-lua.sh's floor for what bid.lua costs).
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) <= current then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1])
return 1
