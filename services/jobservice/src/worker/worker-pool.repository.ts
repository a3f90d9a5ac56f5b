import type { Redis } from 'ioredis';
import type { RedisKeys } from '../jobs/keys.js';
import type { WorkerPoolDirectory, WorkerPoolInfo } from '../jobs/ports.js';

/** Worker pools' heartbeats and the jobs each one is running (for the reaper). */
export class RedisWorkerPools implements WorkerPoolDirectory {
  readonly #redis: Redis;
  readonly #keys: RedisKeys;

  constructor(deps: { redis: Redis; keys: RedisKeys }) {
    this.#redis = deps.redis;
    this.#keys = deps.keys;
  }

  async heartbeat(info: WorkerPoolInfo, ttlMs: number): Promise<void> {
    const key = this.#keys.pool(info.worker_pool_id);
    await this.#redis
      .multi()
      .hset(key, { ...info, job_names: JSON.stringify(info.job_names) })
      .pexpire(key, ttlMs)
      .sadd(this.#keys.pools, info.worker_pool_id)
      .exec();
  }

  async list(): Promise<WorkerPoolInfo[]> {
    const ids = await this.#redis.smembers(this.#keys.pools);
    const pipeline = this.#redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.#keys.pool(id));
    const results = (await pipeline.exec()) ?? [];
    return results.flatMap(([error, raw]) => {
      const hash = raw as Record<string, string> | null;
      if (error || !hash?.worker_pool_id) return [];
      return [
        {
          worker_pool_id: hash.worker_pool_id,
          started_at: Number(hash.started_at),
          heartbeat_at: Number(hash.heartbeat_at),
          job_names: JSON.parse(hash.job_names ?? '[]') as string[],
          concurrency: Number(hash.concurrency),
          status: hash.status ?? 'Healthy',
        },
      ];
    });
  }

  async remove(poolId: string): Promise<void> {
    await this.#redis.multi().del(this.#keys.pool(poolId)).srem(this.#keys.pools, poolId).exec();
  }

  async running(poolId: string, jobId: string, revision: number): Promise<void> {
    await this.#redis.hset(this.#keys.poolRunning(poolId), jobId, String(revision));
  }

  async finished(poolId: string, jobId: string): Promise<void> {
    await this.#redis.hdel(this.#keys.poolRunning(poolId), jobId);
  }

  /** Pools that stopped heartbeating (their key expired), with the jobs they were running. */
  async dead(): Promise<{ poolId: string; jobs: string[] }[]> {
    const ids = await this.#redis.smembers(this.#keys.pools);
    const dead: { poolId: string; jobs: string[] }[] = [];
    for (const id of ids) {
      if ((await this.#redis.exists(this.#keys.pool(id))) === 1) continue;
      dead.push({ poolId: id, jobs: await this.#redis.hkeys(this.#keys.poolRunning(id)) });
    }
    return dead;
  }

  async forget(poolId: string): Promise<void> {
    await this.#redis.multi().del(this.#keys.poolRunning(poolId)).srem(this.#keys.pools, poolId).exec();
  }
}
