-- One fixed-window counter step: add n, refuse (and take it back) when the window's total would pass the limit.
local v = redis.call('INCRBY', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
if v > tonumber(ARGV[3]) then
  redis.call('DECRBY', KEYS[1], ARGV[1])
  return {0, v - tonumber(ARGV[1])}
end
return {1, v}
