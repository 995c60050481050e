"""The Lua scripts of the Redis ready queue: every change is one atomic script call.

Keys (``p`` = the configured prefix):

- ``p tasks:pending``                    ZSET  task id -> aging key (global pick order)
- ``p tasks:pending:<counter>:<machine>`` ZSET  the same, per (counter, machine or ``-``)
- ``p tasks:entries``                    HASH  task id -> entry JSON (with its group)
- ``p tasks:groups``                     HASH  group JSON ``[counter, machine]`` -> size
- ``p tasks:group_keys``                 HASH  group JSON -> that group's ZSET key
- ``p tasks:position``                   STRING the last notification id applied

Group ZSET keys are derived from the entries at run time, so the scripts suit a single Redis
(or a cluster only with a hash tag in the prefix, e.g. ``{kp}:``).
"""

from __future__ import annotations

# KEYS: pending, entries, groups, group_keys, position
# ARGV: position, then ops: "R", task_id | "U", task_id, score, group_key, group_field, json
# Returns 1 when applied, 0 when skipped: a batch at or below a stored position > 0 is old
# news (replayed, or from a slower projector). Position 0 (empty, or a rebuild in progress)
# never skips, and the stored position only moves forward.
APPLY = """
local pending, entries, groups, group_keys, poskey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local position = tonumber(ARGV[1])
if not position then
  return redis.error_reply('queue position must be a number')
end
local current = tonumber(redis.call('GET', poskey) or '0')
if current > 0 and position <= current then
  return 0
end

-- Validate the whole batch before writing anything: Redis does not roll a script back.
local ops = {}
local i = 2
while i <= #ARGV do
  local op = ARGV[i]
  if op == 'R' then
    ops[#ops + 1] = {op, ARGV[i + 1]}
    i = i + 2
  elseif op == 'U' then
    local score = ARGV[i + 2]
    local n = tonumber(score)
    if not n or n ~= n or not ARGV[i + 5] then
      return redis.error_reply('queue upsert needs a float score, not ' .. tostring(score))
    end
    ops[#ops + 1] = {op, ARGV[i + 1], score, ARGV[i + 3], ARGV[i + 4], ARGV[i + 5]}
    i = i + 6
  else
    return redis.error_reply('unknown queue op ' .. tostring(op))
  end
end

local function detach(id)
  local old = redis.call('HGET', entries, id)
  if not old then
    return
  end
  redis.call('HDEL', entries, id)
  redis.call('ZREM', pending, id)
  local field = cjson.decode(old)['g']
  local zkey = field and redis.call('HGET', group_keys, field)
  if zkey and redis.call('ZREM', zkey, id) == 1 then
    if redis.call('HINCRBY', groups, field, -1) <= 0 then
      redis.call('HDEL', groups, field)
      redis.call('HDEL', group_keys, field)
    end
  end
end

for _, op in ipairs(ops) do
  local id = op[2]
  detach(id)
  if op[1] == 'U' then
    local score, zkey, field, body = op[3], op[4], op[5], op[6]
    redis.call('HSET', entries, id, body)
    redis.call('ZADD', pending, score, id)
    if redis.call('ZADD', zkey, score, id) == 1 then
      redis.call('HINCRBY', groups, field, 1)
      redis.call('HSET', group_keys, field, zkey)
    end
  end
end
if position > current then
  redis.call('SET', poskey, ARGV[1])
end
return 1
"""

# KEYS: a ZSET, entries.  ARGV: limit.  Returns the entry JSON of the first ``limit`` members.
HEAD = """
local ids = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
local out = {}
for _, id in ipairs(ids) do
  local body = redis.call('HGET', KEYS[2], id)
  if body then
    out[#out + 1] = body
  end
end
return out
"""

# KEYS: pending, entries, groups, group_keys, position.  Drops everything (before a rebuild).
CLEAR = """
for _, zkey in ipairs(redis.call('HVALS', KEYS[4])) do
  redis.call('DEL', zkey)
end
return redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5])
"""
