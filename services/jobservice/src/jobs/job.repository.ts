import type { JobStatus, JobStatsV1 } from '@wharf/contracts';
import type { Redis } from 'ioredis';
import { FINAL_TTL_SECONDS, hashFromRecord, hashFromStats, recordFromHash, type JobRecord } from './job-record.js';
import { CHECK_IN, CLAIM_DUE, CREATE_JOB, FIRE_PERIODIC, REMOVE_IF_SCORE, RESTORE_JOB, RETRY_JOB, SET_STATUS } from './job.lua.js';
import type { RedisKeys } from './keys.js';
import { RedisScript } from './redis-script.js';

export type SetStatusResult = 'changed' | 'unchanged' | 'refused' | 'unknown';

/** Why a run failed, for a retry: its message, and when the dependency outage it is riding out began (none for an ordinary failure). */
export interface RetryReason {
  message: string;
  outageSince?: number;
}

/** Job stats, the status machine, stop requests and the publish schedule (the port the job service and workers use). */
export interface JobRepository {
  create(stats: JobStatsV1, options: { uniqueKey?: string; dueMs?: number }): Promise<{ duplicateOf?: string }>;
  get(id: string): Promise<JobRecord | undefined>;
  getMany(ids: readonly string[]): Promise<(JobRecord | undefined)[]>;
  /**
   * Moves a job forward within `revision` (the current one when omitted); a final status
   * expires as Harbor's do. `message` becomes the job's `status_message` (Success clears it).
   */
  setStatus(id: string, status: JobStatus, revision?: number, message?: string): Promise<SetStatusResult>;
  /** Back to Pending with a new revision, queued again at `dueMs`; undefined when the job moved on, 'unknown' when it is gone. */
  retry(id: string, revision: number, dueMs: number, reason: RetryReason): Promise<number | 'unknown' | undefined>;
  checkIn(id: string, message: string, revision: number): Promise<'changed' | 'refused' | 'unknown'>;
  /** Re-creates a job Redis lost, from the record its worker read, with `status`; false when the job exists. */
  restore(record: JobRecord, status: JobStatus): Promise<boolean>;
  requestStop(id: string): Promise<void>;
  /** Queues a job for publishing at `dueMs`. */
  schedule(id: string, dueMs: number): Promise<void>;
  unschedule(id: string): Promise<void>;
  /** Takes due jobs for publishing, leasing them until `leaseMs`. */
  claimDue(limit: number, leaseMs: number): Promise<string[]>;
  /** Done publishing: drops the entry unless it was rescheduled since the lease. */
  published(id: string, leaseMs: number): Promise<void>;
  periodicIds(): Promise<string[]>;
  /** Fires one tick of a periodic job; true only for the one replica that won the tick. */
  firePeriodic(periodicId: string, tick: number, dueMs: number): Promise<string | undefined>;
  executions(periodicId: string, offset: number, limit: number): Promise<{ total: number; jobs: JobStatsV1[] }>;
}

const SCRIPTS = {
  create: new RedisScript(CREATE_JOB),
  setStatus: new RedisScript(SET_STATUS),
  retry: new RedisScript(RETRY_JOB),
  restore: new RedisScript(RESTORE_JOB),
  checkIn: new RedisScript(CHECK_IN),
  claimDue: new RedisScript(CLAIM_DUE),
  removeIfScore: new RedisScript(REMOVE_IF_SCORE),
  firePeriodic: new RedisScript(FIRE_PERIODIC),
};

export class RedisJobRepository implements JobRepository {
  readonly #redis: Redis;
  readonly #keys: RedisKeys;
  readonly #now: () => number;

  constructor(deps: { redis: Redis; keys: RedisKeys; now?: () => number }) {
    this.#redis = deps.redis;
    this.#keys = deps.keys;
    this.#now = deps.now ?? Date.now;
  }

  async create(stats: JobStatsV1, options: { uniqueKey?: string; dueMs?: number }): Promise<{ duplicateOf?: string }> {
    const k = this.#keys;
    const uniqueKey = options.uniqueKey ? k.unique(options.uniqueKey) : '';
    const fields = hashFromStats(stats, uniqueKey ? { unique_key: uniqueKey } : {});
    const [created, other] = await SCRIPTS.create.run<[number, string?]>(
      this.#redis,
      [k.job(stats.id), uniqueKey, k.scheduled, k.periodic],
      [stats.id, options.dueMs ?? '', k.prefix, ...fields],
    );
    return created === 1 ? {} : { duplicateOf: other };
  }

  async get(id: string): Promise<JobRecord | undefined> {
    return recordFromHash(await this.#redis.hgetall(this.#keys.job(id)));
  }

  async getMany(ids: readonly string[]): Promise<(JobRecord | undefined)[]> {
    if (ids.length === 0) return [];
    const pipeline = this.#redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.#keys.job(id));
    const results = (await pipeline.exec()) ?? [];
    return results.map(([error, hash]) => (error ? undefined : recordFromHash(hash as Record<string, string>)));
  }

  async setStatus(id: string, status: JobStatus, revision?: number, message?: string): Promise<SetStatusResult> {
    const k = this.#keys;
    const now = this.#now();
    const result = await SCRIPTS.setStatus.run<number>(
      this.#redis,
      [k.job(id), k.hooks(id), k.hooksDue, k.hooksUnacked],
      [id, status, revision ?? '', Math.floor(now / 1000), now, FINAL_TTL_SECONDS[status], k.prefix, message ?? ''],
    );
    return result === 1 ? 'changed' : result === 0 ? 'unchanged' : result === -1 ? 'refused' : 'unknown';
  }

  async retry(id: string, revision: number, dueMs: number, reason: RetryReason): Promise<number | 'unknown' | undefined> {
    const k = this.#keys;
    const now = this.#now();
    const result = await SCRIPTS.retry.run<number>(
      this.#redis,
      [k.job(id), k.hooks(id), k.hooksDue, k.hooksUnacked, k.scheduled],
      [id, revision, Math.floor(now / 1000), now, dueMs, reason.message, reason.outageSince ?? ''],
    );
    return result > 0 ? result : result === -2 ? 'unknown' : undefined;
  }

  async checkIn(id: string, message: string, revision: number): Promise<'changed' | 'refused' | 'unknown'> {
    const k = this.#keys;
    const now = this.#now();
    const result = await SCRIPTS.checkIn.run<number>(
      this.#redis,
      [k.job(id), k.hooks(id), k.hooksDue, k.hooksUnacked],
      [id, message, revision, Math.floor(now / 1000), now],
    );
    return result === 1 ? 'changed' : result === -2 ? 'unknown' : 'refused';
  }

  async restore(record: JobRecord, status: JobStatus): Promise<boolean> {
    const result = await SCRIPTS.restore.run<number>(this.#redis, [this.#keys.job(record.stats.id)], hashFromRecord(record, status));
    return result === 1;
  }

  async requestStop(id: string): Promise<void> {
    await this.#redis.multi().hset(this.#keys.job(id), 'stop', '1').publish(this.#keys.stopChannel, id).exec();
  }

  async schedule(id: string, dueMs: number): Promise<void> {
    await this.#redis.zadd(this.#keys.scheduled, dueMs, id);
  }

  async unschedule(id: string): Promise<void> {
    await this.#redis.zrem(this.#keys.scheduled, id);
  }

  async claimDue(limit: number, leaseMs: number): Promise<string[]> {
    return SCRIPTS.claimDue.run<string[]>(this.#redis, [this.#keys.scheduled], [this.#now(), leaseMs, limit]);
  }

  async published(id: string, leaseMs: number): Promise<void> {
    await SCRIPTS.removeIfScore.run(this.#redis, [this.#keys.scheduled], [id, leaseMs]);
  }

  async periodicIds(): Promise<string[]> {
    return this.#redis.smembers(this.#keys.periodic);
  }

  async firePeriodic(periodicId: string, tick: number, dueMs: number): Promise<string | undefined> {
    const k = this.#keys;
    const executionId = `${periodicId}@${tick}`;
    const now = this.#now();
    const fired = await SCRIPTS.firePeriodic.run<number>(
      this.#redis,
      [k.periodicTick(periodicId, tick), k.job(periodicId), k.job(executionId), k.executions(periodicId), k.scheduled],
      [executionId, tick, Math.floor(now / 1000), now, dueMs, periodicId],
    );
    return fired === 1 ? executionId : undefined;
  }

  async executions(periodicId: string, offset: number, limit: number): Promise<{ total: number; jobs: JobStatsV1[] }> {
    const key = this.#keys.executions(periodicId);
    const [total, ids] = await Promise.all([this.#redis.zcard(key), this.#redis.zrevrange(key, offset, offset + limit - 1)]);
    const records = await this.getMany(ids);
    return { total, jobs: records.flatMap((record) => (record ? [record.stats] : [])) };
  }
}
