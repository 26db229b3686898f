--[[
  Flags a decrease judged not taken that landed after all: the stock was taken twice for its orders.

  KEYS[1] the entry, KEYS[2] its wood type's decreases judged not taken, KEYS[3] the stats
  ARGV[1] the entry's id, ARGV[2] the level that showed it
  Returns 1 when flagged now, 0 when it was already, or is gone.
]]
--- @include "clock"
redis.call('ZREM', KEYS[2], ARGV[1])
if redis.call('HGET', KEYS[1], 'state') ~= 'not-taken' or redis.call('HEXISTS', KEYS[1], 'takenTwiceAt') == 1 then
  return 0
end
redis.call('HSET', KEYS[1], 'takenTwiceAt', now, 'takenTwiceLevel', ARGV[2])
redis.call('PERSIST', KEYS[1])
redis.call('HINCRBY', KEYS[3], 'taken-twice', 1)
return 1
