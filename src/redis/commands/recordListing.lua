--[[
  Records a page of registered orders that a cycle listed, and tells, for each, whether it already
  has a job: a worker trusts an order as listed while its last listing is fresh, and an order whose
  job completed yet is listed registered again is reported once to a person instead of skipped.

  KEYS[1]   listed: zset, order id -> when it was last listed registered (ms)
  KEYS[2]   registered again: zset, order id -> when it was first listed registered after its job completed
  KEYS[3]   the orders queue's completed set (score: when the job finished)
  KEYS[4..] each order's job key

  ARGV[1]   when the page was asked for (ms): the listing shows the orders as they were at that time or later
  ARGV[2]   forget listings older than this (ms): workers read such orders again anyway
  ARGV[3..] per order, its id and its job id, in the order of KEYS[4..]

  Returns, per order: 0 no job (add one), 1 a job waiting, running or failed, 2 a job that completed
  before the page was asked for, first seen so, 3 the same, seen so before, 4 a job that completed
  after (its status was written while the page was read).
]]
local listedAt = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[2])
local states = {}
for i = 4, #KEYS do
  local orderId, jobId = ARGV[2 * (i - 3) + 1], ARGV[2 * (i - 3) + 2]
  redis.call('ZADD', KEYS[1], 'GT', listedAt, orderId)
  local state = 0
  if redis.call('EXISTS', KEYS[i]) == 1 then
    local finished = redis.call('ZSCORE', KEYS[3], jobId)
    if not finished then
      state = 1
    elseif tonumber(finished) >= listedAt then
      state = 4
    else
      state = 3 - redis.call('ZADD', KEYS[2], 'NX', listedAt, orderId)
    end
  else
    redis.call('ZREM', KEYS[2], orderId)
  end
  states[#states + 1] = state
end
return states
