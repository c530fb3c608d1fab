-- The open cases' points (store.keys.open_points), filled once per database from the open cases stored before the
-- writer kept it (afterwards one EXISTS); an entry the writer already keeps is left as it is. KEYS: open_due, latest,
-- open_points, its ready flag, its change log (dropped when the fill added an entry, so every reader's copy starts
-- again: store.snapshot.CaseTracker). Returns how many entries the fill added.
-- An entry is "lon,lat,due_ms,adcode" as core.case_points.entry writes it (due 'inf' when none, adcode '' when
-- not a 6-digit code); a case with no finite position has none.
local added = 0
if redis.call('EXISTS', KEYS[4]) == 0 then
  local open = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
  for i = 1, #open, 2 do
    local id, due = open[i], open[i + 1]
    local doc = redis.call('HGET', KEYS[2], id)
    local ok, d = false, nil
    if doc then ok, d = pcall(cjson.decode, doc) end
    if ok and type(d) == 'table' and type(d.v) == 'table' then
      local x, y = tonumber(d.v.long), tonumber(d.v.lat)
      if x and y and x == x and y == y and x ~= math.huge and x ~= -math.huge and y ~= math.huge
          and y ~= -math.huge then
        local function code(t)  -- as store.scope.district_of: '' and null count as missing
          local v = type(t) == 'table' and t.district_adcode or nil
          if type(v) == 'number' then v = string.format('%d', v) end
          if type(v) ~= 'string' or v == '' then return nil end
          return v
        end
        local ad = code(d.m) or code(d.v) or ''
        if not string.match(ad, '^%d%d%d%d%d%d$') then ad = '' end
        if due == 'inf' or due == '+inf' then due = 'inf' end
        added = added + redis.call('HSETNX', KEYS[3], id, string.format('%.17g,%.17g,%s,%s', x, y, due, ad))
      end
    end
  end
  redis.call('SET', KEYS[4], '1')
  if added > 0 then redis.call('DEL', KEYS[5]) end
end
return added
