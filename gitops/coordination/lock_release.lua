-- Release the app lock only if this token still holds it (never someone else's).
-- KEYS[1] lock key; ARGV[1] token. Returns 1 if released, 0 if it was no longer ours.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
