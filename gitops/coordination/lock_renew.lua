-- Extend the app lock only if this token still holds it.
-- KEYS[1] lock key; ARGV[1] token, ARGV[2] ttl in ms. Returns 1 if renewed, 0 if lost.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
