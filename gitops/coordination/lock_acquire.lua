-- Acquire the app lock and hand out the next fencing number, atomically.
-- KEYS[1] lock key, KEYS[2] fence counter
-- ARGV[1] token, ARGV[2] ttl in ms, ARGV[3] fence floor (highest fence known from durable status)
-- Returns {fence, 0} on success, {0, remaining ttl ms of the holder} when the lock is taken.
-- The fence is above every one handed out before and above the floor (after Redis lost the counter).
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  local fence = redis.call('INCR', KEYS[2])
  local floor = tonumber(ARGV[3])
  if fence <= floor then
    fence = floor + 1
    redis.call('SET', KEYS[2], fence)
  end
  return {fence, 0}
end
return {0, redis.call('PTTL', KEYS[1])}
