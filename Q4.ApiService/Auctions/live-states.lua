-- The live fields (ARGV) of every auction whose state hash is in KEYS, in one call: a page of results costs
-- Redis one command to parse and answer instead of one per auction.
local states = {}
for i, key in ipairs(KEYS) do
  states[i] = redis.call('HMGET', key, unpack(ARGV))
end
return states
