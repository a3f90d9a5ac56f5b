import type { Redis } from 'ioredis';
import { recordFromHash, type JobRecord } from '../jobs/job-record.js';
import { ACK_HOOK, CLAIM_DUE, CLAIM_ONE, DROP_HOOK, RETRY_HOOK } from '../jobs/job.lua.js';
import type { RedisKeys } from '../jobs/keys.js';
import { RedisScript } from '../jobs/redis-script.js';
import type { JobStatus } from '@wharf/contracts';

/** One stored hook event, as the status scripts write it. */
export interface HookEvent {
  status: JobStatus;
  revision: number;
  check_in?: string;
  check_in_at?: number;
  /** Delivery attempts that failed so far, and when the first one was made (ms). */
  attempts?: number;
  first_at?: number;
}

export interface PendingHook {
  raw: string;
  event: HookEvent;
  job: JobRecord | undefined;
}

const SCRIPTS = {
  claimDue: new RedisScript(CLAIM_DUE),
  claimOne: new RedisScript(CLAIM_ONE),
  ack: new RedisScript(ACK_HOOK),
  drop: new RedisScript(DROP_HOOK),
  retry: new RedisScript(RETRY_HOOK),
};

/** The durable hook queues: a list of events per job, and the due set that orders (and leases) deliveries. */
export class RedisHookRepository {
  readonly #redis: Redis;
  readonly #keys: RedisKeys;

  constructor(deps: { redis: Redis; keys: RedisKeys }) {
    this.#redis = deps.redis;
    this.#keys = deps.keys;
  }

  claimDue(nowMs: number, leaseUntilMs: number, limit: number): Promise<string[]> {
    return SCRIPTS.claimDue.run<string[]>(this.#redis, [this.#keys.hooksDue], [nowMs, leaseUntilMs, limit]);
  }

  async claimOne(id: string, nowMs: number, leaseUntilMs: number): Promise<boolean> {
    return (await SCRIPTS.claimOne.run<number>(this.#redis, [this.#keys.hooksDue], [id, nowMs, leaseUntilMs])) === 1;
  }

  /** The job's oldest undelivered event and its current stats. */
  async head(id: string): Promise<PendingHook | undefined> {
    const [[, raw], [, hash]] = ((await this.#redis.pipeline().lindex(this.#keys.hooks(id), 0).hgetall(this.#keys.job(id)).exec()) ?? []) as [
      [unknown, string | null],
      [unknown, Record<string, string>],
    ];
    if (!raw) {
      // Nothing left (delivered by another replica): release the due entry unless an event arrived.
      await this.#redis.eval(
        `if redis.call('LLEN', KEYS[1]) == 0 then redis.call('ZREM', KEYS[2], ARGV[1]) end return 0`,
        2,
        this.#keys.hooks(id),
        this.#keys.hooksDue,
        id,
      );
      return undefined;
    }
    return { raw, event: JSON.parse(raw) as HookEvent, job: recordFromHash(hash) };
  }

  #keysOf(id: string): string[] {
    return [this.#keys.job(id), this.#keys.hooks(id), this.#keys.hooksDue, this.#keys.hooksUnacked];
  }

  /** Delivered: pops it, records the ack; returns how many events remain (kept leased until `nextMs`). */
  ack(id: string, hook: PendingHook, nextMs: number): Promise<number> {
    const { event } = hook;
    return SCRIPTS.ack.run<number>(this.#redis, this.#keysOf(id), [id, hook.raw, event.status, event.revision, event.check_in_at ?? '', nextMs]);
  }

  drop(id: string, hook: PendingHook, hookStatus: string, nextMs: number): Promise<number> {
    return SCRIPTS.drop.run<number>(this.#redis, this.#keysOf(id), [id, hook.raw, hookStatus, nextMs]);
  }

  async retryLater(id: string, hook: PendingHook, updated: HookEvent, atMs: number): Promise<void> {
    await SCRIPTS.retry.run(this.#redis, this.#keysOf(id).slice(0, 3), [id, hook.raw, JSON.stringify(updated), atMs]);
  }

  /** Jobs whose acknowledged hook lagged their status since before `beforeMs`. */
  unackedBefore(beforeMs: number, limit: number): Promise<string[]> {
    return this.#redis.zrangebyscore(this.#keys.hooksUnacked, '-inf', beforeMs, 'LIMIT', 0, limit);
  }

  async pendingCount(id: string): Promise<number> {
    return this.#redis.llen(this.#keys.hooks(id));
  }

  /** Queues a fresh event for the job's current status (the reaper's re-fire). */
  async refire(id: string, event: HookEvent, nowMs: number): Promise<void> {
    await this.#redis
      .multi()
      .rpush(this.#keys.hooks(id), JSON.stringify(event))
      .zadd(this.#keys.hooksDue, 'NX', nowMs, id)
      .zadd(this.#keys.hooksUnacked, nowMs, id)
      .exec();
  }

  async forgetUnacked(id: string): Promise<void> {
    await this.#redis.zrem(this.#keys.hooksUnacked, id);
  }

  async touchUnacked(id: string, nowMs: number): Promise<void> {
    await this.#redis.zadd(this.#keys.hooksUnacked, nowMs, id);
  }
}
