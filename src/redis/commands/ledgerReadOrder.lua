--[[
  An order's record and its entry. Reading a settled one keeps both another LEDGER_KEEP_SECONDS: a
  job still asking about its order (retrying, waiting to write the status) must not outlive them.

  KEYS[1] the order's record
  ARGV[1] the entries' key prefix, ARGV[2] how long to keep them, in seconds
  Returns {record fields, entry fields} as flat lists.
]]
local record = redis.call('HGETALL', KEYS[1])
if #record == 0 then return {record, {}} end
local fields = {}
for i = 1, #record, 2 do fields[record[i]] = record[i + 1] end
local entryKey = ARGV[1] .. (fields.decrease or '')
if fields.state == 'taken' or fields.state == 'refused' then
  redis.call('EXPIRE', KEYS[1], ARGV[2])
  redis.call('EXPIRE', entryKey, ARGV[2])
end
return {record, redis.call('HGETALL', entryKey)}
