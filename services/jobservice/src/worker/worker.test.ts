import { Writable } from 'node:stream';
import { createLogger } from '@wharf/logging';
import type { JobStatsV1 } from '@wharf/contracts';
import { beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ApiError } from '@wharf/errors';
import { ServiceCallError } from '@wharf/http-client';

/** An answer of a service a job called, with its status. */
const answered = (message: string, status: number) => new ServiceCallError('the adapter service', new ApiError('UNKNOWN', { message, status }));
import { PermanentJobError, type JobContext, type JobType } from '../jobs/job.js';
import { InMemoryJobRepository } from '../jobs/testing/in-memory-job.repository.js';
import type { JobLog } from '../logs/job-logs.js';
import type { Delivery } from '../queue/amqp-job-queue.js';
import type { LeaseAcquisition, LeaseHolder, RunningJob } from './job-lease.repository.js';
import { JobStoppedError } from './stop-signals.js';
import { Worker, type JobLeases } from './worker.js';

const quiet = () => createLogger({ service: 'test', level: 'debug', stream: new Writable({ write: (_c, _e, cb) => cb() }) });

/** Leases in memory (one per job and revision), on the test's clock. */
class FakeLeases implements JobLeases {
  readonly held = new Map<string, { holder: LeaseHolder; until: number }>();
  readonly now: () => number;
  constructor(now: () => number) {
    this.now = now;
  }
  #live(key: string) {
    const lease = this.held.get(key);
    return lease && lease.until > this.now() ? lease : undefined;
  }
  async acquire(id: string, holder: LeaseHolder, ttlMs: number, replace?: LeaseHolder): Promise<LeaseAcquisition> {
    const current = this.#live(`${id}@${holder.revision}`);
    if (current && !(replace && JSON.stringify(replace) === JSON.stringify(current.holder))) return { acquired: false, holder: current.holder, ttlMs: current.until - this.now() };
    this.held.set(`${id}@${holder.revision}`, { holder, until: this.now() + ttlMs });
    return { acquired: true };
  }
  async renew(holder: Omit<LeaseHolder, 'revision'>, jobs: readonly RunningJob[], ttlMs: number): Promise<RunningJob[]> {
    const lost: RunningJob[] = [];
    for (const job of jobs) {
      const current = this.#live(`${job.id}@${job.revision}`);
      if (current && (current.holder.poolId !== holder.poolId || current.holder.instance !== holder.instance)) lost.push(job);
      else this.held.set(`${job.id}@${job.revision}`, { holder: { ...holder, revision: job.revision }, until: this.now() + ttlMs });
    }
    return lost;
  }
  async release(id: string, holder: LeaseHolder): Promise<void> {
    const key = `${id}@${holder.revision}`;
    if (JSON.stringify(this.held.get(key)?.holder) === JSON.stringify(holder)) this.held.delete(key);
  }
}

class FakeDelivery implements Delivery {
  acked = false;
  deadLettered: string | undefined;
  readonly message: { id: string; revision: number } | undefined;
  readonly redelivered: boolean;
  constructor(message: { id: string; revision: number } | undefined, redelivered = false) {
    this.message = message;
    this.redelivered = redelivered;
  }
  ack(): void {
    this.acked = true;
  }
  async deadLetter(reason: string): Promise<void> {
    this.deadLettered = reason;
    this.acked = true;
  }
}

/** A job type the test drives: each run waits for the test to settle it. */
function controlledType(maxFails = 3) {
  const type = {
    runs: 0,
    settle: [] as ((error?: Error) => void)[],
    contexts: [] as JobContext[],
    maxFails,
    concurrency: 5,
    shouldRetry: (error: unknown) => !(error instanceof PermanentJobError),
    validate: z.looseObject({}),
    run: (ctx: JobContext) =>
      new Promise<void>((resolve, reject) => {
        type.runs++;
        type.contexts.push(ctx);
        type.settle.push((error?: Error) => (error ? reject(error) : resolve()));
        ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error));
      }),
  } satisfies JobType & Record<string, unknown>;
  return type;
}

const stats = (id: string, name = 'T', hook = 'http://core/hook'): JobStatsV1 => ({
  id,
  name,
  kind: 'Generic',
  status: 'Pending',
  unique: false,
  enqueue_time: 1,
  update_time: 1,
  revision: 100,
  parameters: { a: 1 },
  executions: 0,
  web_hook_url: hook,
});

function setup(options: { poolId?: string; instance?: string; alive?: string[] } = {}) {
  let now = 1_000_000;
  const clock = { now: () => now };
  const jobs = new InMemoryJobRepository();
  const leases = new FakeLeases(clock.now);
  const type = controlledType();
  const notes: { jobId: string; message: string; fields?: Record<string, unknown> }[] = [];
  const logger = quiet();
  const logs = {
    open: (jobId: string): JobLog => ({
      logger,
      note: async (message, fields) => void notes.push({ jobId, message, fields }),
      close: async () => undefined,
    }),
  };
  const controllers = new Map<string, AbortController>();
  const changed: string[] = [];
  const alive = new Set(options.alive ?? []);
  const worker = new Worker({
    poolId: options.poolId ?? 'pool-a',
    instance: options.instance ?? 'i1',
    jobs,
    types: new Map([['T', type]]),
    logs,
    stops: {
      register: (id) => {
        const controller = new AbortController();
        controllers.set(id, controller);
        return controller;
      },
      unregister: (id) => void controllers.delete(id),
    },
    leases,
    pools: { isAlive: async (poolId) => alive.has(poolId) || poolId === (options.poolId ?? 'pool-a') },
    clock,
    logger,
    retry: { baseDelayMs: 1000, maxDelayMs: 60_000, outageWindowMs: 60_000, outageMaxDelayMs: 10_000 },
    leaseTtlMs: 15_000,
    onStatusChanged: (id) => changed.push(id),
  });
  const started = (n: number) => expect.poll(() => type.runs).toBe(n);
  return { worker, jobs, leases, type, notes, controllers, changed, clock, advance: (ms: number) => (now += ms), started };
}

describe('the worker', () => {
  let t: ReturnType<typeof setup>;
  beforeEach(async () => {
    t = setup({ alive: ['pool-b'] });
    await t.jobs.create(stats('j1'), {});
  });

  it('runs a job under its lease and gives the lease back when it ends', async () => {
    const delivery = new FakeDelivery({ id: 'j1', revision: 100 });
    const run = t.worker.handle(delivery);
    await t.started(1);
    expect(t.leases.held.get('j1@100')?.holder).toEqual({ poolId: 'pool-a', instance: 'i1', revision: 100 });
    t.type.settle[0]!();
    await run;
    expect(t.jobs.records.get('j1')!.stats).toMatchObject({ status: 'Success', executions: 1 });
    expect(t.leases.held.has('j1@100')).toBe(false);
    expect(delivery.acked).toBe(true);
    expect(t.notes.map((n) => n.message)).toEqual(['job run started', 'job run succeeded']);
  });

  it('does not start a job whose lease a live worker pool holds: the message is dropped', async () => {
    await t.leases.acquire('j1', { poolId: 'pool-b', instance: 'x', revision: 100 }, 15_000);
    const delivery = new FakeDelivery({ id: 'j1', revision: 100 });
    await t.worker.handle(delivery);
    expect(t.type.runs).toBe(0);
    expect(delivery.acked).toBe(true);
    expect(t.jobs.records.get('j1')!.stats.status).toBe('Pending');
    expect(t.jobs.scheduled.has('j1')).toBe(false);
  });

  it('defers a redelivered message of a job a live-looking pool holds until its lease is due, then drops it if still renewed', async () => {
    await t.leases.acquire('j1', { poolId: 'pool-b', instance: 'x', revision: 100 }, 15_000);
    const redelivered = new FakeDelivery({ id: 'j1', revision: 100 }, true);
    await t.worker.handle(redelivered);
    expect(redelivered.acked).toBe(true);
    expect(t.jobs.scheduled.get('j1')).toBe(t.clock.now() + 15_250);
    // The holder renews: the re-published message finds it alive and is dropped.
    await t.leases.renew({ poolId: 'pool-b', instance: 'x' }, [{ id: 'j1', revision: 100 }], 30_000);
    t.advance(15_250);
    t.jobs.scheduled.clear();
    await t.worker.handle(new FakeDelivery({ id: 'j1', revision: 100 }));
    expect(t.type.runs).toBe(0);
    expect(t.jobs.scheduled.has('j1')).toBe(false);
  });

  it('defers a job whose lease a dead worker pool holds until that lease ran out, without dropping it', async () => {
    await t.leases.acquire('j1', { poolId: 'pool-dead', instance: 'x', revision: 100 }, 15_000);
    t.advance(5000);
    const delivery = new FakeDelivery({ id: 'j1', revision: 100 }, true);
    await t.worker.handle(delivery);
    expect(t.type.runs).toBe(0);
    expect(delivery.acked).toBe(true);
    expect(t.jobs.scheduled.get('j1')).toBe(t.clock.now() + 10_000 + 250);
    // Once it ran out, the re-published message runs the job.
    t.advance(10_250);
    const again = t.worker.handle(new FakeDelivery({ id: 'j1', revision: 100 }));
    await t.started(1);
    t.type.settle[0]!();
    await again;
    expect(t.jobs.records.get('j1')!.stats.status).toBe('Success');
  });

  it('takes over the lease an earlier process of its own pool left (it restarted under the same pool id)', async () => {
    await t.leases.acquire('j1', { poolId: 'pool-a', instance: 'before-restart', revision: 100 }, 15_000);
    const run = t.worker.handle(new FakeDelivery({ id: 'j1', revision: 100 }, true));
    await t.started(1);
    expect(t.leases.held.get('j1@100')?.holder.instance).toBe('i1');
    t.type.settle[0]!();
    await run;
  });

  it('drops a second message of a job it is running, whether it arrives before or after the lease was taken', async () => {
    const first = t.worker.handle(new FakeDelivery({ id: 'j1', revision: 100 }));
    const racing = new FakeDelivery({ id: 'j1', revision: 100 }, true);
    const second = t.worker.handle(racing);
    await t.started(1);
    await second;
    const late = new FakeDelivery({ id: 'j1', revision: 100 }, true);
    await t.worker.handle(late);
    expect([racing.acked, late.acked]).toEqual([true, true]);
    t.type.settle[0]!();
    await first;
    expect(t.type.runs).toBe(1);
    expect(t.jobs.records.get('j1')!.stats.executions).toBe(1);
  });

  it('abandons a run whose lease went to another worker, without touching the status', async () => {
    const delivery = new FakeDelivery({ id: 'j1', revision: 100 });
    const run = t.worker.handle(delivery);
    await t.started(1);
    t.leases.held.set('j1@100', { holder: { poolId: 'pool-b', instance: 'x', revision: 100 }, until: t.clock.now() + 15_000 });
    await t.worker.renewLeases();
    await run;
    expect(t.jobs.records.get('j1')!.stats.status).toBe('Running');
    expect(t.notes.at(-1)!.message).toBe('job run abandoned, another worker runs the job');
    expect(delivery.acked).toBe(true);
    expect(t.leases.held.get('j1@100')?.holder.poolId).toBe('pool-b');
  });

  it('reports why a run failed: status_message on the retry, on Error, cleared on Success', async () => {
    const run1 = t.worker.handle(new FakeDelivery({ id: 'j1', revision: 100 }));
    await t.started(1);
    t.type.settle[0]!(new Error('manifest upload failed'));
    await run1;
    const retried = t.jobs.records.get('j1')!;
    expect(retried.stats).toMatchObject({ status: 'Pending', revision: 101, status_message: 'manifest upload failed' });
    expect(retried.fails).toBe(1);
    const run2 = t.worker.handle(new FakeDelivery({ id: 'j1', revision: 101 }));
    await t.started(2);
    t.type.settle[1]!();
    await run2;
    expect(t.jobs.records.get('j1')!.stats.status_message).toBeUndefined();

    await t.jobs.create(stats('j2'), {});
    const doomed = new FakeDelivery({ id: 'j2', revision: 100 });
    const run3 = t.worker.handle(doomed);
    await t.started(3);
    t.type.settle[2]!(new PermanentJobError('adapter: blob unknown to registry'));
    await run3;
    expect(t.jobs.records.get('j2')!.stats).toMatchObject({ status: 'Error', status_message: 'adapter: blob unknown to registry' });
    expect(doomed.deadLettered).toBe('adapter: blob unknown to registry');
    expect(t.jobs.events.filter((e) => e.id === 'j2').map((e) => [e.status, e.status_message])).toEqual([
      ['Running', undefined],
      ['Error', 'adapter: blob unknown to registry'],
    ]);
  });

  it('rides out an outage past the type\'s max fails, then ends Error naming the cause once the window is over', async () => {
    const outage = () => answered('/api/v1/replications/copy answered 503: restarting', 503);
    let revision = 100;
    let runs = 0;
    // Runs at 0, then after each retry's delay: all outages, past maxFails = 3.
    for (;;) {
      const delivery = new FakeDelivery({ id: 'j1', revision });
      const run = t.worker.handle(delivery);
      await t.started(++runs);
      t.type.settle[runs - 1]!(outage());
      await run;
      const record = t.jobs.records.get('j1')!;
      if (record.stats.status === 'Error') {
        expect(delivery.deadLettered).toMatch(/answered 503.*still failing after 60 s/);
        break;
      }
      expect(record.stats).toMatchObject({ status: 'Pending', status_message: '/api/v1/replications/copy answered 503: restarting' });
      expect(record.fails).toBe(0);
      expect(record.outageSince).toBe(1_000_000);
      revision = record.stats.revision!;
      t.advance(t.jobs.scheduled.get('j1')! - t.clock.now());
    }
    expect(runs).toBeGreaterThan(3);
    expect(t.clock.now() - 1_000_000).toBe(60_000);
    expect(t.jobs.records.get('j1')!.stats.status_message).toMatch(/503/);
  });

  it('re-creates the job Redis lost while it ran, so its final status is stored and announced', async () => {
    const run = t.worker.handle(new FakeDelivery({ id: 'j1', revision: 100 }));
    await t.started(1);
    t.jobs.records.clear();
    await t.type.contexts[0]!.checkIn('half way');
    expect(t.jobs.records.get('j1')!.stats).toMatchObject({ status: 'Running', check_in: 'half way' });
    t.jobs.records.clear();
    t.type.settle[0]!();
    await run;
    const record = t.jobs.records.get('j1')!;
    expect(record.stats).toMatchObject({ status: 'Success', revision: 100, name: 'T', parameters: { a: 1 }, web_hook_url: 'http://core/hook', executions: 1 });
    expect(t.jobs.events.at(-1)).toMatchObject({ id: 'j1', status: 'Success', revision: 100 });
    expect(t.changed.at(-1)).toBe('j1');
  });

  it('runs a retry published before the failed run gave its lease back', async () => {
    const retry = t.jobs.retry.bind(t.jobs);
    let second: Promise<void> | undefined;
    // The scheduler publishes the new revision at once, while the first run is still tidying up.
    t.jobs.retry = async (...args) => {
      const revision = await retry(...args);
      if (typeof revision === 'number') second = t.worker.handle(new FakeDelivery({ id: 'j1', revision }));
      return revision;
    };
    const first = t.worker.handle(new FakeDelivery({ id: 'j1', revision: 100 }));
    await t.started(1);
    t.type.settle[0]!(new Error('flaky'));
    await t.started(2);
    await first;
    t.type.settle[1]!();
    await second;
    expect(t.jobs.records.get('j1')!.stats).toMatchObject({ status: 'Success', revision: 101, executions: 2 });
  });

  it('re-creates a lost job for its retry too', async () => {
    const run = t.worker.handle(new FakeDelivery({ id: 'j1', revision: 100 }));
    await t.started(1);
    t.jobs.records.clear();
    t.type.settle[0]!(new Error('flaky'));
    await run;
    expect(t.jobs.records.get('j1')!.stats).toMatchObject({ status: 'Pending', revision: 101, status_message: 'flaky' });
    expect(t.jobs.scheduled.has('j1')).toBe(true);
  });

  it('dead-letters a message whose job is gone before it started', async () => {
    const delivery = new FakeDelivery({ id: 'vanished', revision: 1 });
    await t.worker.handle(delivery);
    expect(delivery.deadLettered).toMatch(/not found/);
    expect(t.type.runs).toBe(0);
  });

  it('ends a stopped run Stopped', async () => {
    const run = t.worker.handle(new FakeDelivery({ id: 'j1', revision: 100 }));
    await t.started(1);
    t.controllers.get('j1')!.abort(new JobStoppedError('j1'));
    await run;
    expect(t.jobs.records.get('j1')!.stats.status).toBe('Stopped');
  });
});
