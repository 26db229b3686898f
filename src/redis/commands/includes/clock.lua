-- Redis' clock, in ms: every time the ledger compares comes from it, so workers' clocks may differ.
local clock = redis.call('TIME')
local now = clock[1] * 1000 + math.floor(clock[2] / 1000)
