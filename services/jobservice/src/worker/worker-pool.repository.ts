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

  /**
   * A pool stopping: its heartbeat goes at once. It stays listed until the reaper forgets it,
   * so whatever it left running (a job that outlived the shutdown timeout) is re-queued.
   */
  async remove(poolId: string): Promise<void> {
    await this.#redis.del(this.#keys.pool(poolId));
  }

  /** True while the pool heartbeats. */
  async isAlive(poolId: string): Promise<boolean> {
    return (await this.#redis.exists(this.#keys.pool(poolId))) === 1;
  }

  /** The jobs a pool runs (id → revision), as its leases recorded them. */
  async runningJobs(poolId: string): Promise<Map<string, number>> {
    return new Map(Object.entries(await this.#redis.hgetall(this.#keys.poolRunning(poolId))).map(([id, revision]) => [id, Number(revision)]));
  }

  /** Pools that stopped heartbeating (their key expired), with the jobs they were running (id → revision). */
  async dead(): Promise<{ poolId: string; jobs: Map<string, number> }[]> {
    const ids = await this.#redis.smembers(this.#keys.pools);
    const dead: { poolId: string; jobs: Map<string, number> }[] = [];
    for (const id of ids) {
      if (await this.isAlive(id)) continue;
      dead.push({ poolId: id, jobs: await this.runningJobs(id) });
    }
    return dead;
  }

  /** Drops the pool's record of running jobs (after they were re-queued). */
  async clearRunning(poolId: string): Promise<void> {
    await this.#redis.del(this.#keys.poolRunning(poolId));
  }

  async forget(poolId: string): Promise<void> {
    await this.#redis.multi().del(this.#keys.poolRunning(poolId)).srem(this.#keys.pools, poolId).exec();
  }
}
