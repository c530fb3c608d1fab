-- Shared Lua: the next audit-stream id, never below the newest entry's ms, so XADD cannot fail on a slow clock.
local last = 0
local top = redis.call('XREVRANGE', KEYS[4], '+', '-', 'COUNT', 1)
if top[1] then last = tonumber(string.match(top[1][1], '^(%d+)-')) end
local logged = 0
local function log(at, alert, doc)
  at = tonumber(at)
  if at < last then at = last end
  last = at
  redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[1], string.format('%.0f', at) .. '-*', 'a', alert, 'j', doc)
  logged = logged + 1
end
