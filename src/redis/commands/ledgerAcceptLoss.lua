--[[
  A person accepts that the ledger lost what it knew: a new epoch, and decreases go on from an
  empty ledger.

  KEYS[1] the epoch
  ARGV[1] the new epoch's id, ARGV[2] who accepts
  Returns the state the epoch had before ('none' when absent).
]]
--- @include "clock"
local before = redis.call('HGET', KEYS[1], 'state') or 'none'
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'state', 'ok', 'since', now, 'by', 'person', 'acceptedBy', ARGV[2])
return before
