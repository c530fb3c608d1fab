-- Once per database: file the cases stored before the per-district indexes existed (store/writer.py keeps them after
-- that). Queued before a scoped read in the same round trip; after the first run it is one EXISTS.
if redis.call('EXISTS', KEYS[6]) == 1 then return 0 end
local n = 0
local function file(id, fn)
  local doc = redis.call('HGET', KEYS[4], id)
  if not doc then return end
  local ok, d = pcall(cjson.decode, doc)
  if not ok or type(d) ~= 'table' then return end
  local ad = (type(d.m) == 'table' and d.m.district_adcode) or (type(d.v) == 'table' and d.v.district_adcode)
  if ad == nil or ad == cjson.null or ad == '' or type(ad) == 'table' then return end
  ad = tostring(ad)
  if not string.match(ad, '^%d%d%d%d%d%d$') then return end
  fn(ad)
  redis.call('HSET', KEYS[5], id, ad)
  n = n + 1
end
local open = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
for i = 1, #open, 2 do
  local id, due = open[i], open[i + 1]
  file(id, function(ad) redis.call('ZADD', KEYS[1] .. ':' .. ad, due, id) end)
end
local closed = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
for i = 1, #closed, 2 do
  local id, at = closed[i], closed[i + 1]
  file(id, function(ad)
    redis.call('ZADD', KEYS[2] .. ':' .. ad, at, id)
    if redis.call('ZSCORE', KEYS[3], id) then redis.call('ZADD', KEYS[3] .. ':' .. ad, at, id) end
  end)
end
redis.call('SET', KEYS[6], '1')
return n
