-- Open cases with their documents in one round trip: the ids come from the due-time index.
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
local out = {}
for i = 1, #ids, 1000 do
  local chunk = {}
  for j = i, math.min(i + 999, #ids) do chunk[#chunk + 1] = ids[j] end
  for _, v in ipairs(redis.call('HMGET', KEYS[2], unpack(chunk))) do out[#out + 1] = v end
end
return out
