#!lua name=herald_1
--[[
Herald's Redis functions: each call is one atomic step on one topic, whose keys share a hash tag.

KEYS[1] meta   hash: e = epoch, s = last offset given, b = payload bytes retained
KEYS[2] log    stream: one entry per retained message, id "<offset>-0",
               fields t (timestamp, epoch nanoseconds), a (accepted, epoch microseconds), w (weight), d (data)
KEYS[3] gate   (publish only) exists while some node listens to patterns for this slot

Bounds arrive as arguments on every call: max count (0 = none), max bytes (0 = none), age cutoff in epoch
microseconds (entries accepted at or before it are evicted; -1 = none). A node computes the cutoff from its clock.
The stream id is derived from the offset, never the other way round: Redis's own ids are time-based and leave
gaps, Herald's offsets must not.
]]

local function offset_of(id)
  return tonumber(string.match(id, '^(%d+)'))
end

-- Evicts from the oldest end while a bound says so, as the in-memory engine does.
local function trim(meta, log, max_count, max_bytes, cutoff)
  local len = redis.call('XLEN', log)
  if len == 0 then
    return
  end
  local bytes = tonumber(redis.call('HGET', meta, 'b')) or 0
  local start = '-'
  local cut = nil
  while len > 0 do
    local by_count = max_count > 0 and len > max_count
    local by_bytes = max_bytes > 0 and bytes > max_bytes
    if not (by_count or by_bytes or cutoff >= 0) then
      break
    end
    local entry = redis.call('XRANGE', log, start, '+', 'COUNT', 1)[1]
    if entry == nil then
      break
    end
    local fields = entry[2]
    if not (by_count or by_bytes or tonumber(fields[4]) <= cutoff) then
      break
    end
    bytes = bytes - tonumber(fields[6])
    len = len - 1
    cut = entry[1]
    start = '(' .. cut
  end
  if cut then
    redis.call('XTRIM', log, 'MINID', string.format('%d-0', offset_of(cut) + 1))
    redis.call('HSET', meta, 'b', bytes)
  end
end

-- A new lifetime of the topic: a new epoch, offsets from 1 again, no history.
local function begin(meta, log, epoch)
  redis.call('DEL', log)
  redis.call('HSET', meta, 'e', epoch, 's', 0, 'b', 0)
  return epoch
end

-- ARGV: shard channel, pattern channel, epoch if the topic is new, keeps history (1/0), max count, max bytes,
-- cutoff, ttl ms, timestamp, accepted micros, n, then n pairs of weight and payload.
-- Returns {epoch, first offset}. Publishes one frame for the whole batch:
-- "1|epoch|first offset|timestamp|n|len,len,...|payloads".
local function publish(keys, args)
  local meta, log, gate = keys[1], keys[2], keys[3]
  local keeps = args[4] == '1'
  local max_count, max_bytes, cutoff = tonumber(args[5]), tonumber(args[6]), tonumber(args[7])
  local ttl, ts, accepted = tonumber(args[8]), args[9], args[10]
  local n = tonumber(args[11])
  local epoch = redis.call('HGET', meta, 'e') or begin(meta, log, args[3])
  local first = redis.call('HINCRBY', meta, 's', n) - n + 1
  local lens = {}
  local payloads = {}
  local added = 0
  if keeps and redis.call('EXISTS', log) == 0 then
    -- The stream expired on its own (or was never made): nothing is retained, whatever the hash says.
    redis.call('HSET', meta, 'b', 0)
  end
  for i = 1, n do
    local weight, data = args[10 + 2 * i], args[11 + 2 * i]
    if keeps then
      redis.call('XADD', log, string.format('%d-0', first + i - 1), 't', ts, 'a', accepted, 'w', weight, 'd', data)
      added = added + tonumber(weight)
    end
    lens[i] = #data
    payloads[i] = data
  end
  if keeps then
    redis.call('HINCRBY', meta, 'b', added)
    trim(meta, log, max_count, max_bytes, cutoff)
    redis.call('PEXPIRE', log, ttl)
  end
  redis.call('PEXPIRE', meta, ttl)
  local frame = '1|' .. epoch .. '|' .. string.format('%d', first) .. '|' .. ts .. '|' .. n .. '|'
      .. table.concat(lens, ',') .. '|' .. table.concat(payloads)
  redis.call('SPUBLISH', args[1], frame)
  if redis.call('EXISTS', gate) == 1 then
    redis.call('PUBLISH', args[2], frame)
  end
  return {epoch, first}
end

-- ARGV: epoch if the topic is new, ttl ms. Makes sure the topic exists and keeps it alive. Returns {epoch, offset}.
local function ensure(keys, args)
  local meta, log = keys[1], keys[2]
  local epoch = redis.call('HGET', meta, 'e') or begin(meta, log, args[1])
  local ttl = tonumber(args[2])
  redis.call('PEXPIRE', meta, ttl)
  redis.call('PEXPIRE', log, ttl)
  return {epoch, tonumber(redis.call('HGET', meta, 's'))}
end

-- ARGV: after, limit, latest (1/0), max count, max bytes, cutoff.
-- Returns {epoch ('' if the topic does not exist), last offset, oldest retained offset, then offset, timestamp,
-- data of each selected message, oldest first}.
local function read(keys, args)
  local meta, log = keys[1], keys[2]
  local after, limit, latest = tonumber(args[1]), tonumber(args[2]), args[3] == '1'
  local epoch = redis.call('HGET', meta, 'e')
  if not epoch then
    return {'', 0, 1}
  end
  trim(meta, log, tonumber(args[4]), tonumber(args[5]), tonumber(args[6]))
  local last = tonumber(redis.call('HGET', meta, 's'))
  local oldest = last - redis.call('XLEN', log) + 1
  local out = {epoch, last, oldest}
  local from = math.max(oldest, after + 1)
  if limit == 0 or from > last then
    return out
  end
  local entries
  if latest then
    entries = redis.call('XREVRANGE', log, '+', string.format('%d-0', from), 'COUNT', limit)
  else
    entries = redis.call('XRANGE', log, string.format('%d-0', from), '+', 'COUNT', limit)
  end
  local count = #entries
  for i = 1, count do
    local entry = latest and entries[count + 1 - i] or entries[i]
    out[#out + 1] = offset_of(entry[1])
    out[#out + 1] = entry[2][2]
    out[#out + 1] = entry[2][8]
  end
  return out
end

-- ARGV: max count, max bytes, cutoff. Returns {epoch ('' if none), last offset, retained count, retained bytes}.
local function stats(keys, args)
  local meta, log = keys[1], keys[2]
  local epoch = redis.call('HGET', meta, 'e')
  if not epoch then
    return {'', 0, 0, 0}
  end
  trim(meta, log, tonumber(args[1]), tonumber(args[2]), tonumber(args[3]))
  local len = redis.call('XLEN', log)
  local bytes = len == 0 and 0 or tonumber(redis.call('HGET', meta, 'b'))
  return {epoch, tonumber(redis.call('HGET', meta, 's')), len, bytes}
end

-- ARGV: epoch a node saw go backwards, new epoch, ttl ms. Starts a new lifetime if the topic still has that epoch
-- (a failover or a restart lost writes the node had already handed on, so offsets would be given twice).
-- Returns {epoch, last offset}.
local function restart(keys, args)
  local meta, log = keys[1], keys[2]
  if redis.call('HGET', meta, 'e') == args[1] then
    begin(meta, log, args[2])
    redis.call('PEXPIRE', meta, tonumber(args[3]))
  end
  local epoch = redis.call('HGET', meta, 'e') or begin(meta, log, args[2])
  return {epoch, tonumber(redis.call('HGET', meta, 's'))}
end

-- No KEYS; ARGV: ttl ms, then key names. Sets each key to 1, expiring after the ttl: the pattern gates of all the
-- slots one node owns, in one call. A cluster refuses declared keys of different slots in one call, so they come
-- as arguments, which the flag lets the function use as long as this node owns them (it fails otherwise).
local function touch(keys, args)
  local ttl = tonumber(args[1])
  for i = 2, #args do
    redis.call('SET', args[i], '1', 'PX', ttl)
  end
  return #args - 1
end

redis.register_function{function_name = 'herald_1_touch', callback = touch, flags = {'allow-cross-slot-keys'}}
redis.register_function('herald_1_publish', publish)
redis.register_function('herald_1_ensure', ensure)
redis.register_function('herald_1_read', read)
redis.register_function('herald_1_stats', stats)
redis.register_function('herald_1_restart', restart)
