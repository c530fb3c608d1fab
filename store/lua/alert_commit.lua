-- Per alert: id, expected version, 'set'|'del', active '1'|'0', doc, n transitions, then n x (at_ms, json).
local applied = {}
local i = 3
while i <= #ARGV do
  local id, expected, mode, active, doc = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local ntr = tonumber(ARGV[i + 5])
  local cur = redis.call('HGET', KEYS[2], id) or '0'
  if cur == expected then
    redis.call('HSET', KEYS[2], id, tonumber(cur) + 1)
    if mode == 'del' then
      redis.call('HDEL', KEYS[1], id)
      redis.call('HDEL', KEYS[3], id)
    else
      redis.call('HSET', KEYS[1], id, doc)
      if active == '1' then redis.call('HSET', KEYS[3], id, doc) else redis.call('HDEL', KEYS[3], id) end
    end
    for j = 0, ntr - 1 do log(ARGV[i + 6 + 2 * j], id, ARGV[i + 7 + 2 * j]) end
    applied[#applied + 1] = id
  end
  i = i + 6 + 2 * ntr
end
if logged > 0 then redis.call('PUBLISH', ARGV[2], '{"type":"alert","n":' .. logged .. '}') end
return applied
