--[[
  Which of the keys exist, in one call: a pipeline of EXISTS is one command (and one trace span)
  per order. The queue prefix's hash tag keeps the keys in one Cluster slot.

  KEYS[1..] job keys
  Returns, per key, 1 when it exists, else 0.
]]
local found = {}
for i, key in ipairs(KEYS) do found[i] = redis.call('EXISTS', key) end
return found
