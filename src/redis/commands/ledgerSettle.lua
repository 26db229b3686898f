--[[
  Ends an entry with what its answer, the level or a person said; its orders' records follow it.
  Not taken removes the records, so the orders may be sent again. When the level judged it not taken,
  the entry itself is kept a while and listed among its wood type's judged decreases: should it land
  after all, the next level shows a fall by its quantity and it is flagged taken twice.

  KEYS[1] the wood type's state, KEYS[2] the stats, KEYS[3] entries waiting for a person,
  KEYS[4] the wood type's decreases judged not taken
  ARGV[1] order records' prefix, ARGV[2] entries' prefix, ARGV[3] the entry's id,
  ARGV[4] result: taken | not-taken | refused | person, ARGV[5] the outcome ('' when none),
  ARGV[6] the wood type's level after it ('' forgets it, 'keep' leaves it), ARGV[7] seconds to keep
  a settled entry, ARGV[8] a stat to count ('' none), ARGV[9] the level found ('' none),
  ARGV[10] 1 when the level judged it not taken

  Returns 'ok', or the state the entry had already ('gone' when it has none).
]]
--- @include "clock"
local woodKey, statsKey, personKey, judgedKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local orderPrefix, entryPrefix, id, result, outcome, level, keepSeconds, stat, levelFound, judged =
  ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10]
local key = entryPrefix .. id
local state = redis.call('HGET', key, 'state')
if state ~= 'pending' and state ~= 'person' then return state or 'gone' end
for orderId in string.gmatch(redis.call('HGET', key, 'orders'), '[^,]+') do
  local rec = orderPrefix .. orderId
  if redis.call('HGET', rec, 'decrease') == id then
    if result == 'not-taken' then
      redis.call('DEL', rec)
    else
      redis.call('HSET', rec, 'state', result, 'outcome', outcome)
      if result ~= 'person' then redis.call('EXPIRE', rec, keepSeconds) end
    end
  end
end
if result == 'not-taken' and judged ~= '1' then
  redis.call('DEL', key)
else
  redis.call('HSET', key, 'state', result, 'outcome', outcome, 'resolvedAt', now)
  if levelFound ~= '' then redis.call('HSET', key, 'levelFound', levelFound) end
  if result ~= 'person' then redis.call('EXPIRE', key, keepSeconds) end
  if result == 'not-taken' then redis.call('ZADD', judgedKey, now, id) end
end
if result == 'person' then redis.call('ZADD', personKey, now, id) else redis.call('ZREM', personKey, id) end
if redis.call('HGET', woodKey, 'pending') == id then
  redis.call('HDEL', woodKey, 'pending')
  if level == '' then redis.call('HDEL', woodKey, 'level') elseif level ~= 'keep' then redis.call('HSET', woodKey, 'level', level) end
end
if stat ~= '' then redis.call('HINCRBY', statsKey, stat, 1) end
return 'ok'
