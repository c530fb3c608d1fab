-- Silences: ARGV[3] 'put'|'del', ARGV[4] id, ARGV[5] doc, ARGV[6] at_ms, ARGV[7] log json. Returns 1 if it changed.
local changed
if ARGV[3] == 'put' then
  redis.call('HSET', KEYS[1], ARGV[4], ARGV[5])
  changed = 1
else
  changed = redis.call('HDEL', KEYS[1], ARGV[4])
end
if changed == 1 then
  log(ARGV[6], '', ARGV[7])
  redis.call('PUBLISH', ARGV[2], '{"type":"silence","n":1}')
end
return changed
