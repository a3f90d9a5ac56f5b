import { Writable } from 'node:stream';
import { createLogger } from '@wharf/logging';
import { createTestRedisNamespace, type TestRedisNamespace } from '@wharf/testing';
import type { JobStatsV1, JobStatus } from '@wharf/contracts';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RedisHookRepository } from '../../src/hooks/hook.repository.js';
import { RedisJobRepository } from '../../src/jobs/job.repository.js';
import { redisKeys, type RedisKeys } from '../../src/jobs/keys.js';
import { Reaper } from '../../src/scheduling/reaper.js';
import { RedisJobLeases } from '../../src/worker/job-lease.repository.js';
import { RedisWorkerPools } from '../../src/worker/worker-pool.repository.js';

const logger = createLogger({ service: 'test', level: 'error', stream: new Writable({ write: (_c, _e, cb) => cb() }) });

let ns: TestRedisNamespace;
let redis: Redis;
let keys: RedisKeys;
let leases: RedisJobLeases;
let pools: RedisWorkerPools;
let jobs: RedisJobRepository;
const now = 1_800_000_000_000;

beforeAll(async () => {
  ns = await createTestRedisNamespace('js-leases');
  redis = new Redis(ns.url, { maxRetriesPerRequest: 3 });
});

afterAll(async () => {
  redis?.disconnect();
  await ns?.cleanup();
});

beforeEach(() => {
  // A fresh key space per test, under the run's prefix.
  keys = redisKeys(`${ns.prefix}${Math.random().toString(36).slice(2, 8)}:`);
  leases = new RedisJobLeases({ redis, keys });
  pools = new RedisWorkerPools({ redis, keys });
  jobs = new RedisJobRepository({ redis, keys, now: () => now });
});

const holder = (poolId: string, instance = 'i1', revision = 7) => ({ poolId, instance, revision });

async function createJob(id: string, status: JobStatus = 'Running', revision = 7): Promise<void> {
  const stats: JobStatsV1 = { id, name: 'DEMO', kind: 'Generic', status, unique: false, enqueue_time: 1, update_time: 1, revision, parameters: {} };
  await jobs.create(stats, {});
}

async function beat(poolId: string): Promise<void> {
  await pools.heartbeat({ worker_pool_id: poolId, started_at: 1, heartbeat_at: 1, job_names: ['DEMO'], concurrency: 1, status: 'Healthy' }, 60_000);
}

describe('job leases in Redis', () => {
  it('is held by one worker at a time; the others learn who holds it and for how long', async () => {
    expect(await leases.acquire('j1', holder('a'), 10_000)).toEqual({ acquired: true });
    const refused = await leases.acquire('j1', holder('b'), 10_000);
    expect(refused.acquired).toBe(false);
    if (refused.acquired) return;
    expect(refused.holder).toEqual(holder('a'));
    expect(refused.ttlMs).toBeGreaterThan(9000);
    expect(refused.ttlMs).toBeLessThanOrEqual(10_000);
    expect(await leases.holder('j1', 7)).toMatchObject({ holder: holder('a') });
    // Taking it records the job among the pool's running jobs, for the reaper.
    expect(await pools.runningJobs('a')).toEqual(new Map([['j1', 7]]));
  });

  it('is taken over only from the holder named (an earlier process of the same pool)', async () => {
    await leases.acquire('j1', holder('a', 'old'), 10_000);
    expect((await leases.acquire('j1', holder('a', 'new'), 10_000, holder('b'))).acquired).toBe(false);
    expect(await leases.acquire('j1', holder('a', 'new'), 10_000, holder('a', 'old'))).toEqual({ acquired: true });
    expect((await leases.holder('j1', 7))?.holder.instance).toBe('new');
  });

  it('is renewed by its holder, re-taken when Redis lost it, and reported lost when another holder took it', async () => {
    await leases.acquire('j1', holder('a'), 1000);
    await leases.acquire('j2', holder('a'), 1000);
    await leases.acquire('j3', holder('a'), 1000);
    await redis.del(keys.lease('j2', 7), keys.poolRunning('a'));
    await redis.set(keys.lease('j3', 7), 'b|x|7', 'PX', 5000);
    const lost = await leases.renew({ poolId: 'a', instance: 'i1' }, ['j1', 'j2', 'j3'].map((id) => ({ id, revision: 7 })), 30_000);
    expect(lost).toEqual([{ id: 'j3', revision: 7 }]);
    expect((await leases.holder('j1', 7))!.ttlMs).toBeGreaterThan(29_000);
    expect(await leases.holder('j2', 7)).toMatchObject({ holder: holder('a') });
    expect(await pools.runningJobs('a')).toEqual(new Map([['j1', 7], ['j2', 7]]));
  });

  it('is released only by its holder', async () => {
    await leases.acquire('j1', holder('a'), 10_000);
    await leases.release('j1', holder('b'));
    expect(await leases.holder('j1', 7)).toBeDefined();
    await leases.release('j1', holder('a'));
    expect(await leases.holder('j1', 7)).toBeUndefined();
    expect(await pools.runningJobs('a')).toEqual(new Map());
  });

  it('is one per revision: a retry runs while the failed run still holds the old one, whose release leaves the new entry', async () => {
    await leases.acquire('j1', holder('a', 'i1', 7), 10_000);
    expect(await leases.acquire('j1', holder('b', 'i1', 8), 10_000)).toEqual({ acquired: true });
    await leases.acquire('j1', holder('a', 'i1', 9), 10_000);
    await leases.release('j1', holder('a', 'i1', 7));
    expect(await pools.runningJobs('a')).toEqual(new Map([['j1', 9]]));
    // Renewing the old run's lease does not move the running entry back.
    await leases.renew({ poolId: 'a', instance: 'i1' }, [{ id: 'j1', revision: 7 }], 10_000);
    expect(await pools.runningJobs('a')).toEqual(new Map([['j1', 9]]));
  });
});

describe('the reaper with leases', () => {
  const reaper = () => new Reaper({ jobs, hooks: new RedisHookRepository({ redis, keys }), pools, leases, clock: { now: () => now }, logger, intervalMs: 60_000 });
  const scheduledAt = async (id: string) => {
    const score = await redis.zscore(keys.scheduled, id);
    return score === null ? undefined : Number(score);
  };

  it('re-queues a dead pool\'s unfinished jobs: at once without a lease, after the dead holder\'s lease, never one a live worker runs', async () => {
    await beat('dead');
    await beat('live');
    for (const id of ['free', 'held-by-dead', 'taken-over', 'retried', 'done']) {
      await createJob(id, id === 'done' ? 'Success' : 'Running', id === 'retried' ? 8 : 7);
      await leases.acquire(id, holder('dead'), 60_000);
    }
    await redis.del(keys.lease('free', 7));
    // Another live worker took this one over (its lease ran out, then a redelivery ran it).
    await redis.set(keys.lease('taken-over', 7), 'live|x|7', 'PX', 60_000);
    await pools.remove('dead');

    await reaper().run();
    expect(await scheduledAt('free')).toBe(now);
    const deferred = await scheduledAt('held-by-dead');
    expect(deferred).toBeGreaterThan(now + 59_000);
    expect(deferred).toBeLessThanOrEqual(now + 60_250);
    expect(await scheduledAt('taken-over')).toBeUndefined();
    expect(await scheduledAt('retried')).toBeUndefined();
    expect(await scheduledAt('done')).toBeUndefined();
    // The dead pool is forgotten; the live one stays.
    expect(await redis.smembers(keys.pools)).toEqual(['live']);
    expect(await pools.runningJobs('dead')).toEqual(new Map());
  });

  it('at start, re-queues what an earlier process of its own pool left running', async () => {
    await beat('same');
    await createJob('orphan');
    await leases.acquire('orphan', holder('same', 'before-restart'), 60_000);
    await reaper().adoptOrphans('same');
    expect(await scheduledAt('orphan')).toBeGreaterThan(now);
    expect(await pools.runningJobs('same')).toEqual(new Map());
  });
});
