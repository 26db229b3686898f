--[[
  Deletes a lock only if `token` still holds it: a lease that ran out may belong to another by now.

  KEYS[1] the lock
  ARGV[1] the holder's token
  Returns 1 when deleted, else 0.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
