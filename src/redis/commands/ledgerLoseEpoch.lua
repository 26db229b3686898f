--[[
  A worker found the ledger is not the epoch it joined: Redis lost its data. It says so for every
  worker (decreases stop everywhere until a person accepts the loss), unless a person already has:
  then the worker adopts the new epoch.

  KEYS[1] the epoch
  ARGV[1] the epoch the worker joined, ARGV[2] the worker
  Returns {'accepted', id} when a person accepted a loss since, else {'lost', ''}.
]]
--- @include "clock"
local found = redis.call('HMGET', KEYS[1], 'id', 'state', 'by')
if found[2] == 'ok' and found[3] == 'person' and found[1] ~= ARGV[1] then return {'accepted', found[1]} end
if found[2] ~= 'lost' then
  redis.call('HSET', KEYS[1], 'state', 'lost', 'lostAt', now, 'noticedBy', ARGV[2], 'joined', ARGV[1])
end
return {'lost', ''}
