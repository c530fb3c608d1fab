-- One hour of one entity's history thinned to the newest sample of each ARGV[1] ms (store.history.compact): a
-- sample's score is its minute, so the members come oldest first and each step's last one stays. Run again, it
-- removes nothing. Returns how many samples it removed.
local m = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local step = tonumber(ARGV[1])
local last, drop = {}, {}
for i = 1, #m, 2 do
  local s = tonumber(m[i + 1])
  local b = s - s % step
  if last[b] then drop[#drop + 1] = last[b] end
  last[b] = m[i]
end
for i = 1, #drop, 500 do
  redis.call('ZREM', KEYS[1], unpack(drop, i, math.min(i + 499, #drop)))
end
return #drop
