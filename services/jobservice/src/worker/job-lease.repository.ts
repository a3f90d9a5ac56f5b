import type { Redis } from 'ioredis';
import type { RedisKeys } from '../jobs/keys.js';
import { RedisScript } from '../jobs/redis-script.js';

/** Who holds a lease: a worker pool, the process (incarnation) of it that took it, and the revision it runs. */
export interface LeaseHolder {
  poolId: string;
  instance: string;
  revision: number;
}

/** A job at the revision a worker runs. */
export interface RunningJob {
  id: string;
  revision: number;
}

export type LeaseAcquisition = { acquired: true } | { acquired: false; holder: LeaseHolder; ttlMs: number };

/**
 * Takes the lease, or answers who holds it. Taking it also records the job among the pool's
 * running jobs (for the reaper). KEYS: lease, pool running. ARGV: value, ttl ms, id, revision,
 * value it may replace ('' = none). Returns {1} or {0, holder value, pttl}.
 */
const ACQUIRE = `
local cur = redis.call('GET', KEYS[1])
if cur and cur ~= ARGV[5] then return {0, cur, redis.call('PTTL', KEYS[1])} end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('HSET', KEYS[2], ARGV[3], ARGV[4])
return {1}`;

/**
 * Renews the leases of the jobs a process runs, and their running entries (the reaper may
 * have forgotten a pool that stalled); re-takes a lease Redis lost. KEYS: pool running, then
 * one lease key per job. ARGV: holder prefix (pool|instance|), ttl ms, then id and revision per
 * job. Returns the (0-based) positions of the jobs whose lease another holder took.
 */
const RENEW = `
local lost = {}
for i = 2, #KEYS do
  local id, rev = ARGV[2 * i - 1], ARGV[2 * i]
  local mine = ARGV[1] .. rev
  local cur = redis.call('GET', KEYS[i])
  if cur and cur ~= mine then
    lost[#lost + 1] = i - 2
  else
    if cur then redis.call('PEXPIRE', KEYS[i], ARGV[2]) else redis.call('SET', KEYS[i], mine, 'PX', ARGV[2]) end
    local known = redis.call('HGET', KEYS[1], id)
    if not known or tonumber(known) < tonumber(rev) then redis.call('HSET', KEYS[1], id, rev) end
  end
end
return lost`;

/**
 * Gives a lease back (only when still held by the caller), and the pool's running entry
 * unless it is already a newer revision's. KEYS: lease, pool running. ARGV: value, id, revision.
 */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
if redis.call('HGET', KEYS[2], ARGV[2]) == ARGV[3] then redis.call('HDEL', KEYS[2], ARGV[2]) end
return 1`;

const SCRIPTS = { acquire: new RedisScript(ACQUIRE), renew: new RedisScript(RENEW), release: new RedisScript(RELEASE) };

function encode(holder: LeaseHolder): string {
  return `${holder.poolId}|${holder.instance}|${holder.revision}`;
}

export function decodeLeaseHolder(value: string): LeaseHolder | undefined {
  const match = /^(.*)\|([^|]*)\|(-?\d+)$/.exec(value);
  return match ? { poolId: match[1]!, instance: match[2]!, revision: Number(match[3]) } : undefined;
}

/**
 * One lease per job and revision (`<prefix>lease:<id>:<revision>`): the worker that runs it
 * holds it, renewed while the job runs and expiring when its process dies. A worker takes it
 * before it starts a job and the reaper reads it before it re-queues one, so a job runs once
 * at a time. (A retry is a new revision: its run does not wait for the failed run's worker to
 * give the old lease back.)
 */
export class RedisJobLeases {
  readonly #redis: Redis;
  readonly #keys: RedisKeys;

  constructor(deps: { redis: Redis; keys: RedisKeys }) {
    this.#redis = deps.redis;
    this.#keys = deps.keys;
  }

  /** Takes the lease of job `id` at `holder.revision`, unless someone else holds it (`replace`: a holder it may take over). */
  async acquire(id: string, holder: LeaseHolder, ttlMs: number, replace?: LeaseHolder): Promise<LeaseAcquisition> {
    const [taken, current, ttl] = await SCRIPTS.acquire.run<[number, string?, number?]>(
      this.#redis,
      [this.#keys.lease(id, holder.revision), this.#keys.poolRunning(holder.poolId)],
      [encode(holder), ttlMs, id, holder.revision, replace ? encode(replace) : ''],
    );
    if (taken === 1) return { acquired: true };
    const other = decodeLeaseHolder(current ?? '') ?? { poolId: '', instance: '', revision: 0 };
    return { acquired: false, holder: other, ttlMs: Math.max(0, ttl ?? 0) };
  }

  /** Renews the leases of `jobs` held by `holder` (pool and instance); returns those another holder took meanwhile. */
  async renew(holder: Omit<LeaseHolder, 'revision'>, jobs: readonly RunningJob[], ttlMs: number): Promise<RunningJob[]> {
    if (jobs.length === 0) return [];
    const args: (string | number)[] = [`${holder.poolId}|${holder.instance}|`, ttlMs];
    for (const job of jobs) args.push(job.id, job.revision);
    const lost = await SCRIPTS.renew.run<number[]>(this.#redis, [this.#keys.poolRunning(holder.poolId), ...jobs.map((job) => this.#keys.lease(job.id, job.revision))], args);
    return lost.map((i) => jobs[i]!);
  }

  async release(id: string, holder: LeaseHolder): Promise<void> {
    await SCRIPTS.release.run(this.#redis, [this.#keys.lease(id, holder.revision), this.#keys.poolRunning(holder.poolId)], [encode(holder), id, holder.revision]);
  }

  /** The holder of the lease of job `id` at `revision` and how long it still runs, or undefined when nobody holds it. */
  async holder(id: string, revision: number): Promise<{ holder: LeaseHolder; ttlMs: number } | undefined> {
    const key = this.#keys.lease(id, revision);
    const [[, value], [, ttl]] = ((await this.#redis.pipeline().get(key).pttl(key).exec()) ?? []) as [[unknown, string | null], [unknown, number]];
    const holder = value ? decodeLeaseHolder(value) : undefined;
    return holder ? { holder, ttlMs: Math.max(0, ttl) } : undefined;
  }
}
