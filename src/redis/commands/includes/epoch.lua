-- Whether the ledger is still the one a worker joined: a Redis that lost its data (restarted without
-- persistence, flushed) has no epoch, or a new one, or one a worker declared lost.
local function epochHolds(epochKey, epoch)
  local found = redis.call('HMGET', epochKey, 'id', 'state')
  return found[1] == epoch and found[2] == 'ok'
end
