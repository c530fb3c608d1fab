-- A reader's copy of one feed's latest documents, brought up to date in one atomic call (store.snapshot.Tracker).
-- KEYS: the feed's change log (store.keys.changed), its latest hash. ARGV: the epoch the reader holds ('' for none),
-- the highest sequence number it has seen.
-- KEYS may also be another hash and its log kept the same way (store.keys.open_points and open_points_changed).
-- Returns {epoch, sequence, 'full', {id, doc, ...}} when the reader must start again (it holds nothing, the log was
-- lost or flushed, there is no log yet, the reader is further behind than the log remembers, or ahead of it: a
-- store restored from an older snapshot keeps its epoch but its numbers went back), else
-- {epoch, sequence, 'delta', {id, doc or false, ...}} with every entity changed after the reader's number.
local epoch = redis.call('ZSCORE', KEYS[1], '\0epoch') or ''
local top = redis.call('ZREVRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local seq = top[2] or '0'
if tonumber(seq) < 0 then seq = '0' end
local floor = redis.call('ZSCORE', KEYS[1], '\0floor')
local mine = tonumber(ARGV[2])
if epoch == '' or epoch ~= ARGV[1] or (floor and mine < tonumber(floor)) or mine > tonumber(seq) then
  return {epoch, seq, 'full', redis.call('HGETALL', KEYS[2])}
end
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[2], '+inf')
local out = {}
for i = 1, #ids, 1000 do
  local chunk = {}
  for j = i, math.min(i + 999, #ids) do chunk[#chunk + 1] = ids[j] end
  local docs = redis.call('HMGET', KEYS[2], unpack(chunk))
  for j = 1, #chunk do out[#out + 1], out[#out + 2] = chunk[j], docs[j] end
end
return {epoch, seq, 'delta', out}
