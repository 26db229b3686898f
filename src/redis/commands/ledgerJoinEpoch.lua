--[[
  The ledger's epoch, created when this Redis has none (a first start, or a cold start after it lost
  its data: the two cannot be told apart; see docs/design.md).

  KEYS[1] the epoch
  ARGV[1] an id for a new epoch, ARGV[2] who creates it
  Returns its fields as a flat list.
]]
--- @include "clock"
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'id', ARGV[1], 'state', 'ok', 'since', now, 'by', ARGV[2])
end
return redis.call('HGETALL', KEYS[1])
