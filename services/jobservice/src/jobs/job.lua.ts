/**
 * The Lua scripts that keep a job's stats, its status machine and its hook queue
 * consistent: each runs atomically in Redis, so a status change and the hook event that
 * announces it are stored together or not at all (Harbor's `rds/scripts.go` idea).
 *
 * A job is the hash `<p>job:<id>`; its undelivered hook events are the list
 * `<p>hooks:<id>`; `<p>hooks:due` orders jobs by their next delivery attempt (a score in the
 * future is also a lease held by the replica delivering); `<p>hooks:unacked` holds jobs whose
 * last acknowledged hook lags their status, for the reaper.
 */

/** Harbor's status codes; the three final statuses share 3. */
const CODES = `local CODES = {Pending=0, Scheduled=1, Running=2, Stopped=3, Error=3, Success=3}`;

/** Appends a hook event and marks the job due for delivery (when it has a hook URL). */
const PUSH_HOOK = `
local function push_hook(job, list, due, unacked, id, event, now_ms)
  if (redis.call('HGET', job, 'web_hook_url') or '') == '' then return end
  redis.call('RPUSH', list, event)
  redis.call('ZADD', due, 'NX', now_ms, id)
  redis.call('ZADD', unacked, 'NX', now_ms, id)
end`;

/**
 * KEYS: job, unique, scheduled, periodic. ARGV: id, due_ms ('' = none), prefix, then field/value pairs.
 * Returns {1} or {0, id of the pending/running duplicate}.
 */
export const CREATE_JOB = `
${CODES}
if KEYS[2] ~= '' then
  local other = redis.call('GET', KEYS[2])
  if other then
    local st = redis.call('HGET', ARGV[3] .. 'job:' .. other, 'status')
    if st and CODES[st] < 3 then return {0, other} end
  end
  redis.call('SET', KEYS[2], ARGV[1])
end
local fields = {}
for i = 4, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(fields))
if ARGV[2] ~= '' then redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1]) end
if redis.call('HGET', KEYS[1], 'kind') == 'Periodic' then redis.call('SADD', KEYS[4], ARGV[1]) end
return {1}`;

/**
 * KEYS: job, hooks list, hooks due, hooks unacked. ARGV: id, status, revision ('' = current), now_s, now_ms, final ttl s, prefix,
 * status message ('' = unchanged; Success always clears it).
 * Returns 1 changed, 0 already so, -1 refused (older revision or backwards), -2 unknown job.
 */
export const SET_STATUS = `
${CODES}
${PUSH_HOOK}
if redis.call('EXISTS', KEYS[1]) == 0 then return -2 end
local cur = redis.call('HGET', KEYS[1], 'status')
local rev = tonumber(redis.call('HGET', KEYS[1], 'revision') or '0')
if ARGV[3] ~= '' and tonumber(ARGV[3]) ~= rev then return -1 end
local new = ARGV[2]
if cur == new then
  -- the same revision run again (its worker died): one more execution, no new hook
  if new == 'Running' then redis.call('HINCRBY', KEYS[1], 'executions', 1) end
  return 0
end
if CODES[new] <= CODES[cur] then return -1 end
redis.call('HSET', KEYS[1], 'status', new, 'update_time', ARGV[4])
if new == 'Running' then redis.call('HINCRBY', KEYS[1], 'executions', 1) end
if new == 'Success' then redis.call('HDEL', KEYS[1], 'status_message', 'outage_since')
elseif ARGV[8] ~= '' then redis.call('HSET', KEYS[1], 'status_message', ARGV[8]) end
if CODES[new] == 3 then
  if tonumber(ARGV[6]) > 0 then redis.call('EXPIRE', KEYS[1], ARGV[6]) end
  local ukey = redis.call('HGET', KEYS[1], 'unique_key')
  if ukey and ukey ~= '' and redis.call('GET', ukey) == ARGV[1] then redis.call('DEL', ukey) end
  redis.call('SREM', ARGV[7] .. 'periodic', ARGV[1])
end
push_hook(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1], cjson.encode({status = new, revision = rev}), ARGV[5])
return 1`;

/**
 * Re-creates a job's hash from what its worker holds, when Redis lost it (a restart without
 * persistence, a flush) while the job ran. Does nothing when the hash exists.
 * KEYS: job. ARGV: field/value pairs. Returns 1 when re-created.
 */
export const RESTORE_JOB = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1`;

/**
 * A retry: back to Pending with a new, strictly larger revision, and queued for `due_ms`,
 * with the failure's message as `status_message`. An ordinary failure counts in `fails`; a
 * dependency outage does not, and records when the outage began (`outage_since`).
 * KEYS: job, hooks list, hooks due, hooks unacked, scheduled. ARGV: id, revision, now_s, now_ms, due_ms,
 * status message, outage since ms ('' = an ordinary failure).
 * Returns the new revision, -1 when the job moved on (stopped, another revision), -2 when it is unknown.
 */
export const RETRY_JOB = `
${CODES}
${PUSH_HOOK}
if redis.call('EXISTS', KEYS[1]) == 0 then return -2 end
local cur = redis.call('HGET', KEYS[1], 'status')
local rev = tonumber(redis.call('HGET', KEYS[1], 'revision') or '0')
if CODES[cur] == 3 or tonumber(ARGV[2]) ~= rev then return -1 end
local new_rev = math.max(tonumber(ARGV[3]), rev + 1)
redis.call('HSET', KEYS[1], 'status', 'Pending', 'revision', new_rev, 'update_time', ARGV[3], 'status_message', ARGV[6])
if ARGV[7] == '' then
  redis.call('HINCRBY', KEYS[1], 'fails', 1)
  redis.call('HDEL', KEYS[1], 'outage_since')
else
  redis.call('HSET', KEYS[1], 'outage_since', ARGV[7])
end
redis.call('HDEL', KEYS[1], 'ack', 'check_in', 'check_in_at')
redis.call('ZADD', KEYS[5], ARGV[5], ARGV[1])
push_hook(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1], cjson.encode({status = 'Pending', revision = new_rev}), ARGV[4])
return new_rev`;

/**
 * KEYS: job, hooks list, hooks due, hooks unacked. ARGV: id, check_in, revision, now_s, now_ms.
 * Returns 1, -1 when the job is not running this revision, -2 when it is unknown.
 */
export const CHECK_IN = `
${PUSH_HOOK}
if redis.call('EXISTS', KEYS[1]) == 0 then return -2 end
if redis.call('HGET', KEYS[1], 'status') ~= 'Running' then return -1 end
local rev = tonumber(redis.call('HGET', KEYS[1], 'revision') or '0')
if tonumber(ARGV[3]) ~= rev then return -1 end
redis.call('HSET', KEYS[1], 'check_in', ARGV[2], 'check_in_at', ARGV[4], 'update_time', ARGV[4])
push_hook(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1],
  cjson.encode({status = 'Running', revision = rev, check_in = ARGV[2], check_in_at = tonumber(ARGV[4])}), ARGV[5])
return 1`;

/**
 * Claims up to `limit` members due by `now_ms` by pushing their score to `lease_ms`
 * (so another replica does not take them meanwhile). KEYS: zset. ARGV: now_ms, lease_ms, limit.
 */
export const CLAIM_DUE = `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(ids) do redis.call('ZADD', KEYS[1], ARGV[2], id) end
return ids`;

/** Claims one member when it is due. KEYS: zset. ARGV: id, now_ms, lease_ms. Returns 1 when claimed. */
export const CLAIM_ONE = `
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score or tonumber(score) > tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
return 1`;

/** Removes a member only while it still has the given score (it was not rescheduled meanwhile). KEYS: zset. ARGV: id, score. */
export const REMOVE_IF_SCORE = `
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) == tonumber(ARGV[2]) then redis.call('ZREM', KEYS[1], ARGV[1]) return 1 end
return 0`;

/** Shared by the hook outcome scripts: pops the head event when it is `event`, then settles the due entry. */
const SETTLE = `
local function pop_and_settle(list, due, id, event, next_ms)
  if redis.call('LINDEX', list, 0) == event then redis.call('LPOP', list) end
  if redis.call('LLEN', list) == 0 then redis.call('ZREM', due, id) return 0 end
  redis.call('ZADD', due, next_ms, id)
  return redis.call('LLEN', list)
end`;

/**
 * A hook was answered 200. Pops it, records `ack` when newer than the stored one, and keeps
 * the job due at `next_ms` (the deliverer's lease) when events remain.
 * KEYS: job, hooks list, hooks due, hooks unacked. ARGV: id, event, status, revision, check_in_at ('' none), next_ms.
 * Returns the number of events left.
 */
export const ACK_HOOK = `
${CODES}
${SETTLE}
if redis.call('EXISTS', KEYS[1]) == 1 then
  local status, rev, cia = ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
  local raw = redis.call('HGET', KEYS[1], 'ack')
  local newer = true
  if raw then
    local ack = cjson.decode(raw)
    if ack.revision > rev then newer = false
    elseif ack.revision == rev then
      if CODES[ack.status] > CODES[status] then newer = false
      elseif ack.status == status and (cia == nil or (ack.check_in_at or 0) >= cia) then newer = false end
    end
  end
  if newer then
    local ack = {status = status, revision = rev}
    if cia then ack.check_in_at = cia end
    redis.call('HSET', KEYS[1], 'ack', cjson.encode(ack))
  end
  redis.call('HSET', KEYS[1], 'hook_status', 'delivered')
  local cur_rev = tonumber(redis.call('HGET', KEYS[1], 'revision') or '0')
  if redis.call('HGET', KEYS[1], 'status') == status and cur_rev == rev then redis.call('ZREM', KEYS[4], ARGV[1]) end
else
  redis.call('ZREM', KEYS[4], ARGV[1])
end
return pop_and_settle(KEYS[2], KEYS[3], ARGV[1], ARGV[2], ARGV[6])`;

/**
 * A hook given up (expired, refused for good, or made obsolete by a newer ack).
 * KEYS: job, hooks list, hooks due, hooks unacked. ARGV: id, event, hook_status ('' = unchanged), next_ms.
 */
export const DROP_HOOK = `
${SETTLE}
if ARGV[3] ~= '' and redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HSET', KEYS[1], 'hook_status', ARGV[3])
  redis.call('ZREM', KEYS[4], ARGV[1])
end
return pop_and_settle(KEYS[2], KEYS[3], ARGV[1], ARGV[2], ARGV[4])`;

/**
 * A delivery failed and will be retried: the head event is replaced by `updated` (its
 * attempt count) and the job is due again at `next_ms`.
 * KEYS: job, hooks list, hooks due. ARGV: id, event, updated, next_ms.
 */
export const RETRY_HOOK = `
if redis.call('LINDEX', KEYS[2], 0) == ARGV[2] then redis.call('LSET', KEYS[2], 0, ARGV[3]) end
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'hook_status', 'retrying') end
return 1`;

/**
 * One tick of a periodic job, fired once whatever the number of replicas: the tick lock,
 * the execution job (`<periodic id>@<tick>`) and its queue entry.
 * KEYS: tick lock, periodic job, execution job, executions zset, scheduled zset.
 * ARGV: execution id, tick s, now_s, now_ms, due_ms, periodic id. Returns 1 when this call fired the tick.
 */
export const FIRE_PERIODIC = `
${CODES}
local st = redis.call('HGET', KEYS[2], 'status')
if not st or CODES[st] == 3 then return 0 end
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', 86400) then return 0 end
local p = redis.call('HMGET', KEYS[2], 'name', 'parameters', 'web_hook_url')
redis.call('HSET', KEYS[3], 'id', ARGV[1], 'name', p[1], 'kind', 'Generic', 'status', 'Pending', 'unique', '0',
  'enqueue_time', ARGV[3], 'update_time', ARGV[3], 'run_at', ARGV[2], 'revision', ARGV[3], 'upstream_job_id', ARGV[6],
  'parameters', p[2] or '{}', 'web_hook_url', p[3] or '', 'executions', 0, 'fails', 0)
redis.call('ZADD', KEYS[4], ARGV[2], ARGV[1])
redis.call('ZADD', KEYS[5], ARGV[5], ARGV[1])
return 1`;
