-- Write an app's hot status only if the writer's fencing number is still the newest one handed out.
-- A worker whose lock expired and was taken over holds an older fence: its write is rejected.
-- KEYS[1] fence counter, KEYS[2] status hash, KEYS[3] change stream
-- ARGV[1] fence, ARGV[2] status JSON, ARGV[3] app name, ARGV[4] change stream max length
-- Returns 1 if written, 0 if fenced off.
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local fence = tonumber(ARGV[1])
if fence ~= current then
  return 0
end
local written = tonumber(redis.call('HGET', KEYS[2], 'fence') or '0')
if fence < written then
  return 0
end
redis.call('HSET', KEYS[2], 'doc', ARGV[2], 'fence', fence)
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[4], '*', 'app', ARGV[3], 'fence', fence)
return 1
