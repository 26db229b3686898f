--[[
  Renews a wood type's lock for its holder, or takes back its lapsed lease (see includes/lease.lua).

  KEYS[1] the lock
  ARGV[1] the holder's token, ARGV[2] the lease in ms
  Returns 1 while the holder holds it, 0 when another does.
]]
--- @include "lease"
if holdLease(KEYS[1], ARGV[1], ARGV[2]) then return 1 end
return 0
