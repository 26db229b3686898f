-- Renews the lease of a lock for its holder `token`, or takes back a lapsed one nobody took since:
-- then nobody can have acted under the lock in between. False when another holds it now.
local function holdLease(lockKey, token, leaseMs)
  local owner = redis.call('GET', lockKey)
  if owner == token then
    redis.call('PEXPIRE', lockKey, leaseMs)
    return true
  end
  if owner == false then
    redis.call('SET', lockKey, token, 'PX', leaseMs)
    return true
  end
  return false
end
