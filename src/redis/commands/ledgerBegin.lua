--[[
  Records that a decrease of some orders of one wood type is about to be sent, unless an order
  already has a record (an order named twice counts once). Under a lock (a token given): only while
  its holder still holds it, and once the wood type has no decrease in doubt. Always: only while the
  ledger is still the one the worker joined (its epoch).

  KEYS[1] the wood type's lock, KEYS[2] its ledger state, KEYS[3] the ledger's epoch
  ARGV[1] the holder's token ('' without the lock), ARGV[2] the lease in ms, ARGV[3] the order
  records' prefix, ARGV[4] the entries' prefix, ARGV[5] the new entry's id, ARGV[6] the wood type,
  ARGV[7] the level read just before under the lock ('' when none was read), ARGV[8] the sender,
  ARGV[9] the epoch the worker joined, ARGV[10] 1 when a level is needed to send (keys not honoured)
  ARGV[11..] per order, its id and its quantity

  Returns JSON, `kind`: lost (the lock is another's), epoch (the ledger is not the one joined),
  resolve (`entry`, `now`: a decrease of the wood type is in doubt), none (`recorded`: every order
  has a record), level (a level is needed and none could be read: nothing written), send (`entry`,
  `recorded`, `previous`: the level the ledger expected before this one).
]]
--- @include "clock"
--- @include "lease"
--- @include "epoch"
local lockKey, woodKey, epochKey = KEYS[1], KEYS[2], KEYS[3]
local token, leaseMs, orderPrefix, entryPrefix, id, woodType, level, sender, epoch, needLevel =
  ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10]
if not epochHolds(epochKey, epoch) then return cjson.encode({kind = 'epoch'}) end
local fenced = token ~= ''
if fenced then
  if not holdLease(lockKey, token, leaseMs) then return cjson.encode({kind = 'lost'}) end
  local pending = redis.call('HGET', woodKey, 'pending')
  if pending then
    local entry = redis.call('HGETALL', entryPrefix .. pending)
    if #entry > 0 then return cjson.encode({kind = 'resolve', id = pending, entry = entry, now = now}) end
    redis.call('HDEL', woodKey, 'pending')
  end
end
local recorded, ids, seen, total = {}, {}, {}, 0
for i = 11, #ARGV, 2 do
  local orderId = ARGV[i]
  if not seen[orderId] then
    seen[orderId] = true
    local rec = redis.call('HMGET', orderPrefix .. orderId, 'state', 'outcome', 'decrease')
    if rec[1] == 'pending' and fenced then
      -- In doubt from a holding without the lock (serialization switched on since): the lock's holder resolves it.
      local entry = redis.call('HGETALL', entryPrefix .. rec[3])
      if #entry > 0 then
        redis.call('HSET', woodKey, 'pending', rec[3])
        return cjson.encode({kind = 'resolve', id = rec[3], entry = entry, now = now})
      end
    end
    if rec[1] then
      recorded[#recorded + 1] = {orderId, rec[1], rec[2] or ''}
    else
      ids[#ids + 1] = orderId
      total = total + tonumber(ARGV[i + 1])
    end
  end
end
if #ids == 0 then return cjson.encode({kind = 'none', recorded = recorded}) end
if fenced and needLevel == '1' and level == '' then return cjson.encode({kind = 'level'}) end
local previous = redis.call('HGET', woodKey, 'level') or ''
local before = previous
if level ~= '' then
  before = level
  if fenced then redis.call('HSET', woodKey, 'level', level) end
end
for _, orderId in ipairs(ids) do
  redis.call('HSET', orderPrefix .. orderId, 'state', 'pending', 'decrease', id)
  redis.call('PERSIST', orderPrefix .. orderId)
end
redis.call('HSET', entryPrefix .. id, 'woodType', woodType, 'quantity', total, 'orders', table.concat(ids, ','),
  'levelBefore', before, 'sentAt', now, 'sentBy', sender, 'state', 'pending')
if fenced then redis.call('HSET', woodKey, 'pending', id) end
return cjson.encode({kind = 'send', id = id, recorded = recorded, previous = previous,
  entry = redis.call('HGETALL', entryPrefix .. id)})
