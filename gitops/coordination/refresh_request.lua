-- Record that an app needs a refresh; coalesces every trigger into at most one queued refresh.
-- KEYS[1] pending marker; ARGV[1] mode ("normal" or "hard"), ARGV[2] ttl in seconds.
-- Returns 1 when the caller must enqueue the refresh task, 0 when one is already queued
-- (a hard request upgrades a queued normal one in place).
local existing = redis.call('GET', KEYS[1])
if not existing then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
  return 1
end
if ARGV[1] == 'hard' and existing ~= 'hard' then
  redis.call('SET', KEYS[1], 'hard', 'KEEPTTL')
end
return 0
