"""The Lua scripts of the Redis ready queue: every change is one atomic script call.

Keys (``p`` = the configured prefix):

- ``p tasks:pending``                    ZSET  rank -> score (global pick order)
- ``p tasks:pending:<counter>:<machine>`` ZSET  the same, per (counter, machine or ``-``)
- ``p tasks:pending:<counter>:*<kind>``   ZSET  the same, per pool (counter, machine kind)
- ``p tasks:entries``                    HASH  task id -> entry JSON (with its group and rank)
- ``p tasks:members``                    HASH  rank -> task id (what a ZRANGE returns -> entry)
- ``p tasks:groups``                     HASH  group JSON ``[counter, machine]`` (a pool:
  ``[counter, null, kind]``) -> size
- ``p tasks:group_keys``                 HASH  group JSON -> that group's ZSET key
- ``p tasks:position``                   STRING the last notification id applied
- ``p tasks:layout``                     STRING the key layout (``LAYOUT``)

Pick order is the dispatch key ``(score, rank)``: members are the rank strings (which end with
the task id), and Redis orders equal scores by comparing members byte by byte, exactly as
Python compares the ASCII rank strings.

Group ZSET keys are derived from the entries at run time, so the scripts suit a single Redis
(or a cluster only with a hash tag in the prefix, e.g. ``{kp}:``).
"""

from __future__ import annotations

# 2: order-age-first (member = rank). A queue of another layout (1: member = task id, score =
# the first version's aging key) is dropped by MIGRATE, position included, so the projector
# rebuilds it from the log. Machine pools only added what a layout-2 queue never had (``*kind``
# group keys, 3-element group fields, the entry's ``mk``): the layout stays 2, and the scripts
# below are unchanged, since they take every group key and field from the caller.
LAYOUT = "2"

# KEYS: pending, entries, groups, group_keys, position, members
# ARGV: position, then ops: "R", task_id | "U", task_id, score, member, group_key, field, json
# Returns 1 when applied, 0 when skipped: a batch at or below a stored position > 0 is old
# news (replayed, or from a slower projector). Position 0 (empty, or a rebuild in progress)
# never skips, and the stored position only moves forward.
APPLY = """
local pending, entries, groups, group_keys, poskey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local members = KEYS[6]
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
    if not n or n ~= n or not ARGV[i + 6] then
      return redis.error_reply('queue upsert needs a float score, not ' .. tostring(score))
    end
    ops[#ops + 1] = {op, ARGV[i + 1], score, ARGV[i + 3], ARGV[i + 4], ARGV[i + 5], ARGV[i + 6]}
    i = i + 7
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
  local decoded = cjson.decode(old)
  local member = decoded['n'] or id
  redis.call('HDEL', members, member)
  redis.call('ZREM', pending, member)
  local field = decoded['g']
  local zkey = field and redis.call('HGET', group_keys, field)
  if zkey and redis.call('ZREM', zkey, member) == 1 then
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
    local score, member, zkey, field, body = op[3], op[4], op[5], op[6], op[7]
    redis.call('HSET', entries, id, body)
    redis.call('HSET', members, member, id)
    redis.call('ZADD', pending, score, member)
    if redis.call('ZADD', zkey, score, member) == 1 then
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

# KEYS: a ZSET, entries, members.  ARGV: limit.  Returns the entry JSON of the first
# ``limit`` members.
HEAD = """
local ranks = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
local out = {}
for _, rank in ipairs(ranks) do
  local id = redis.call('HGET', KEYS[3], rank)
  local body = id and redis.call('HGET', KEYS[2], id)
  if body then
    out[#out + 1] = body
  end
end
return out
"""

# KEYS: pending, entries, groups, group_keys, position, members.  Drops everything (before
# a rebuild).
CLEAR = """
for _, zkey in ipairs(redis.call('HVALS', KEYS[4])) do
  redis.call('DEL', zkey)
end
return redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6])
"""

# KEYS: pending, entries, groups, group_keys, position, members, layout.  ARGV: the layout.
# Drops a queue written in another layout (position included, so it is rebuilt from the log)
# and records the layout; one script, so of two processes starting at once only one drops.
# Returns 1 when it dropped something, 0 otherwise.
MIGRATE = """
local layout = redis.call('GET', KEYS[7])
if layout == ARGV[1] then
  return 0
end
local dropped = 0
if redis.call('EXISTS', KEYS[1], KEYS[2], KEYS[5]) > 0 then
  for _, zkey in ipairs(redis.call('HVALS', KEYS[4])) do
    redis.call('DEL', zkey)
  end
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6])
  dropped = 1
end
redis.call('SET', KEYS[7], ARGV[1])
return dropped
"""
