-- Acquire the app lock and hand out the next fencing number, atomically.
-- KEYS[1] lock key, KEYS[2] fence counter
-- ARGV[1] token, ARGV[2] ttl in ms, ARGV[3] fence floor (highest fence known from durable status)
-- Returns {fence, 0} on success, {0, remaining ttl ms of the holder} when the lock is taken.
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  local current = tonumber(redis.call('GET', KEYS[2]) or '0')
  local floor = tonumber(ARGV[3])
  if current < floor then
    redis.call('SET', KEYS[2], floor)
  end
  return {redis.call('INCR', KEYS[2]), 0}
end
return {0, redis.call('PTTL', KEYS[1])}
