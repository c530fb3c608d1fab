-- Idempotent append + newer wins per entity: a (ts, entity) already in the feed's `seen` set changes nothing (no
-- second stream entry, no latest/index update), so a client or a retried pipeline may re-send a batch safely.
-- Reads (ZMSCORE, HMGET) and latest-hash writes are batched; only XADD (and the service case indexes) run per
-- reading. ARGV: now, closed-case keep ms, stream maxlen, seen keep, stride (3: id ts doc; 4: + history sample;
-- 7: + kind arg district point), history keep ms, track ('1': record changes in KEYS[8]), rows. KEYS[8] is the feed's
-- change log (store.keys.changed); with stride 4, KEYS[8 + j] is row j's history key (entity and hour); with stride
-- 7, KEYS[9] is the case -> district hash (store.scope.case_districts), KEYS[10] the open cases' points
-- (store.keys.open_points: an open case with a point has its entry, any other case none) and KEYS[11] that hash's
-- change log (store.keys.open_points_changed, kept as the feed's change log is, whatever ARGV[7] says).
-- Change log: every entity whose latest this batch replaces gets the batch's sequence number (one more than the
-- highest in the set) as its score, so a reader asks for everything above the number it last saw. The member
-- '\0epoch' (never an entity id: ids are printable) has a negative score made from the server's clock when the set
-- is created; a reader that sees another epoch (the set was lost or flushed) reads everything again. Every 1,000th
-- batch forgets the members last changed more than TRIM batches ago and records that floor as the member '\0floor':
-- a reader whose number is below it reads everything again (so a log of cases, which come and go, stays bounded).
-- History (store/history.py says why an hourly sorted set): only the newest reading of each entity and minute in a
-- batch carries a sample (store.history.batch sends '' for the others; if that newest one was seen before, the minute
-- already has a sample at least as new). Newer than the entity's latest before the batch, a sample replaces the
-- minute's blindly (no stored sample is newer than that latest; if the latest is from an earlier minute there is
-- nothing to replace, and a new hour's key gets its expiry: `keep` after the hour ends, counted from the writer's
-- `now`); older (a late reading), only if the stored 't' (the member's first number: ms into the hour) is older.
-- Samples outside [now - keep, now + 1 h] are not kept.
-- Service cases also maintain the open/closed indexes the screens count with ZCOUNT. A 'gone' row (a city component
-- back to normal) removes the entity from latest but keeps its ts, so latest holds only what needs attention and an
-- older re-sent fault cannot come back. Each case index also has a per-district copy (KEYS[3..5] .. ':' .. adcode, the
-- same {service} slot) so a district-scoped screen counts its cases with ZCOUNT too; KEYS[9] remembers which district
-- a case is filed under, so a case that changes district or ages out leaves the old district's sets.
-- Needs Redis >= 6.2 (ZMSCORE).
local now, keep, maxlen = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local seen_keep, stride, hkeep, track, first = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7], 8
local n = math.floor((#ARGV - first + 1) / stride)
local function each_chunk(list, step, fn)
  for s = 1, #list, step do fn(unpack(list, s, math.min(s + step - 1, #list))) end
end
local TRIM = 50000
local function log_changes(ch, changed)
  if #changed == 0 then return end
  if not redis.call('ZSCORE', ch, '\0epoch') then
    local t = redis.call('TIME')
    redis.call('ZADD', ch, -(tonumber(t[1]) * 1000000 + tonumber(t[2])), '\0epoch')
  end
  local top = redis.call('ZREVRANGE', ch, 0, 0, 'WITHSCORES')
  local seq = math.max(0, tonumber(top[2])) + 1
  local z = {}
  for _, id in ipairs(changed) do
    if string.byte(id, 1) ~= 0 then z[#z + 1], z[#z + 2] = seq, id end  -- never a marker's name
  end
  each_chunk(z, 1000, function(...) redis.call('ZADD', ch, ...) end)
  if seq % 1000 == 0 and seq > TRIM then
    redis.call('ZREMRANGEBYSCORE', ch, 0, seq - TRIM)
    redis.call('ZADD', ch, seq - TRIM, '\0floor')
  end
end
local members, ids = {}, {}
for j = 1, n do
  local i = first + (j - 1) * stride
  members[j], ids[j] = ARGV[i + 1] .. ':' .. ARGV[i], ARGV[i]
end
local seen, stored = {}, {}
each_chunk(members, 500, function(...)
  for _, v in ipairs(redis.call('ZMSCORE', KEYS[7], ...)) do seen[#seen + 1] = v end
end)
each_chunk(ids, 500, function(...)
  for _, v in ipairs(redis.call('HMGET', KEYS[2], ...)) do stored[#stored + 1] = v end
end)
local function index_case(o, c, l, id, kind, arg)
  if kind == 'open' then
    redis.call('ZADD', o, arg == '' and '+inf' or arg, id)
    redis.call('ZREM', c, id)
    redis.call('ZREM', l, id)
  else
    local sep = string.find(arg, ':', 1, true)
    local closed_ms, late = string.sub(arg, 1, sep - 1), string.sub(arg, sep + 1)
    redis.call('ZREM', o, id)
    redis.call('ZADD', c, closed_ms, id)
    if late == '1' then redis.call('ZADD', l, closed_ms, id) else redis.call('ZREM', l, id) end
  end
end
local function unfile(id, ad)
  redis.call('ZREM', KEYS[3] .. ':' .. ad, id)
  redis.call('ZREM', KEYS[4] .. ':' .. ad, id)
  redis.call('ZREM', KEYS[5] .. ':' .. ad, id)
end
local applied, added, fresh, cur, docs, tss, order, moved = 0, 0, {}, {}, {}, {}, {}, {}
local hfloor, hceil = now - hkeep, now + 3600000
local function sample(hk, minute, ts, prev, member)
  local hour = minute - minute % 3600000
  if prev and ts <= prev then
    local have = redis.call('ZRANGEBYSCORE', hk, minute, minute)
    local t = have[1] and tonumber(string.match(have[1], '^%[(%d+)'))
    if t and hour + t >= ts then return end
  end
  if not (prev and prev < minute) then redis.call('ZREMRANGEBYSCORE', hk, minute, minute) end
  redis.call('ZADD', hk, minute, member)
  if (not prev) or prev < hour or ts <= prev then redis.call('PEXPIRE', hk, hour + 3600000 + hkeep - now) end
end
for j = 1, n do
  local m = members[j]
  if (not seen[j]) and (not fresh[m]) then
    fresh[m] = true
    local i = first + (j - 1) * stride
    local id, tsr, doc = ARGV[i], ARGV[i + 1], ARGV[i + 2]
    local ts = tonumber(tsr)
    added = added + 1
    order[#order + 1] = tsr
    order[#order + 1] = m
    redis.call('XADD', KEYS[6], 'MAXLEN', '~', maxlen, '*', 'e', id, 'ts', tsr, 'j', doc)
    if stride == 4 and ARGV[i + 3] ~= '' then
      local minute = ts - ts % 60000
      if minute >= hfloor and minute <= hceil then sample(KEYS[8 + j], minute, ts, tonumber(stored[j]), ARGV[i + 3]) end
    end
    local c = cur[id]
    if c == nil then c = stored[j] and tonumber(stored[j]) or false end
    if (not c) or c < ts then
      applied = applied + 1
      cur[id], docs[id], tss[id] = ts, doc, tsr
      if stride == 7 then
        local kind, arg, ad, pt = ARGV[i + 3], ARGV[i + 4], ARGV[i + 5], ARGV[i + 6]
        if kind == 'gone' then docs[id] = false end
        if kind == 'open' or kind == 'closed' then
          index_case(KEYS[3], KEYS[4], KEYS[5], id, kind, arg)
          local was = redis.call('HGET', KEYS[9], id)
          if was and was ~= ad then unfile(id, was) end
          if ad ~= '' then
            index_case(KEYS[3] .. ':' .. ad, KEYS[4] .. ':' .. ad, KEYS[5] .. ':' .. ad, id, kind, arg)
            if was ~= ad then redis.call('HSET', KEYS[9], id, ad) end
          elseif was then
            redis.call('HDEL', KEYS[9], id)
          end
          if pt ~= '' then
            redis.call('HSET', KEYS[10], id, pt)
            moved[#moved + 1] = id
          elseif redis.call('HDEL', KEYS[10], id) == 1 then
            moved[#moved + 1] = id
          end
        end
      end
    else
      cur[id] = c
    end
  end
end
local pairs_doc, pairs_ts = {}, {}
local gone = {}
for id, doc in pairs(docs) do
  if doc then
    pairs_doc[#pairs_doc + 1], pairs_doc[#pairs_doc + 2] = id, doc
  else
    gone[#gone + 1] = id
  end
  pairs_ts[#pairs_ts + 1], pairs_ts[#pairs_ts + 2] = id, tss[id]
end
each_chunk(pairs_doc, 1000, function(...) redis.call('HSET', KEYS[1], ...) end)
each_chunk(gone, 1000, function(...) redis.call('HDEL', KEYS[1], ...) end)
each_chunk(pairs_ts, 1000, function(...) redis.call('HSET', KEYS[2], ...) end)
if track == '1' then
  local changed = {}
  for id, _ in pairs(tss) do changed[#changed + 1] = id end
  log_changes(KEYS[8], changed)
end
each_chunk(order, 1000, function(...) redis.call('ZADD', KEYS[7], ...) end)
if seen_keep > 0 then
  local total = redis.call('ZCARD', KEYS[7])
  if total > seen_keep then redis.call('ZREMRANGEBYRANK', KEYS[7], 0, total - seen_keep - 1) end
end
if keep > 0 then
  local old = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now - keep, 'LIMIT', 0, 1000)
  for _, id in ipairs(old) do
    local ad = redis.call('HGET', KEYS[9], id)
    if ad then
      unfile(id, ad)
      redis.call('HDEL', KEYS[9], id)
    end
    redis.call('HDEL', KEYS[1], id)
    redis.call('HDEL', KEYS[2], id)
    if redis.call('HDEL', KEYS[10], id) == 1 then moved[#moved + 1] = id end
    redis.call('ZREM', KEYS[4], id)
    redis.call('ZREM', KEYS[5], id)
  end
end
if stride == 7 then log_changes(KEYS[11], moved) end
return {applied, added}
