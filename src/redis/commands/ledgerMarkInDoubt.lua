--[[
  Marks a pending entry in doubt: its answer was lost. From when it may be judged is reckoned on
  Redis' clock: at once if the Stock API itself answered (its handler has finished), otherwise once
  it cannot still be applying the request, `settleDelayMs` after it was sent.

  KEYS[1] the entry
  ARGV[1] why it is in doubt, ARGV[2] 1 when the Stock API itself answered, ARGV[3] settleDelayMs
  Returns {state, now}: `pending` when marked, else the state it had (`gone` when none).
]]
--- @include "clock"
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'pending' then return {state or 'gone', now} end
local settleAt = now
if ARGV[2] == '0' then settleAt = tonumber(redis.call('HGET', KEYS[1], 'sentAt')) + tonumber(ARGV[3]) end
redis.call('HSET', KEYS[1], 'doubt', ARGV[1], 'settleAt', settleAt)
return {'pending', now}
