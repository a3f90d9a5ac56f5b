import { startPrivateRabbit, type PrivateRabbit } from '@wharf/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH, createNamespace, getJob, HookReceiver, launch, stopJob, waitFor, type Namespace } from './harness.js';
import type { JobStatsV1, JobStatus } from '@wharf/contracts';
const CODES: Record<JobStatus, number> = { Pending: 0, Scheduled: 1, Running: 2, Stopped: 3, Error: 3, Success: 3 };

/** Each hook of a job comes after the one before it: revisions never go down, and within one revision statuses never go back. */
function inOrder(hooks: { status: JobStatus; metadata?: { revision?: number } }[]): boolean {
  return hooks.every((hook, i) => {
    const before = hooks[i - 1];
    if (!before) return true;
    const [r0, r1] = [before.metadata?.revision ?? 0, hook.metadata?.revision ?? 0];
    return r1 > r0 || (r1 === r0 && CODES[hook.status] >= CODES[before.status]);
  });
}

describe('jobservice under faults', () => {
  let ns: Namespace;
  const receiver = new HookReceiver();

  beforeAll(async () => {
    ns = await createNamespace('faults');
    await receiver.start();
  });

  afterAll(async () => {
    await ns?.cleanup();
    await receiver.stop();
  });

  it('reruns a job whose worker was killed (kill -9) mid-job; it ends Success, reported once', async () => {
    const js = await ns.spawn();
    const job = await launch(js.url, { name: 'DEMO', parameters: { sleep_ms: 2000 }, status_hook: receiver.url });
    await waitFor('running', () => receiver.of(job.id).some((h) => h.status === 'Running'));
    await js.kill();
    await js.start();
    await waitFor('success', async () => (await getJob(js.url, job.id)).status === 'Success', 20_000);
    await waitFor('success hook', () => receiver.of(job.id).some((h) => h.status === 'Success'));
    await waitFor('success acknowledged', async () => (await getJob(js.url, job.id)).ack?.status === 'Success');
    const final = await getJob(js.url, job.id);
    expect(final.executions).toBe(2);
    const log = await (await fetch(`${js.url}/api/v1/jobs/${job.id}/log`, { headers: AUTH })).text();
    expect(log.match(/job run started/g)).toHaveLength(2);
    const successes = receiver.of(job.id).filter((h) => h.status === 'Success' && h.metadata?.revision === final.revision);
    expect(successes).toHaveLength(1);
    await js.stop();
  }, 60_000);

  it('delivers every hook, in order per job, after the receiver was down through several failed deliveries of each', async () => {
    const js = await ns.spawn();
    await receiver.stop();
    const jobs: JobStatsV1[] = [];
    for (let i = 0; i < 10; i++) {
      jobs.push(await launch(js.url, { name: 'DEMO', parameters: { sleep_ms: 200 * i, check_ins: [`progress ${i}`] }, status_hook: receiver.url }));
    }
    await waitFor('jobs done', async () => (await Promise.all(jobs.map((j) => getJob(js.url, j.id)))).every((j) => j.status === 'Success'));
    for (const job of jobs) expect(receiver.of(job.id)).toHaveLength(0);
    // Down until every job's first hook failed four times (its backoff grown to the max).
    const redis = ns.redisClient();
    const attempts = async (id: string) => (JSON.parse((await redis.lindex(`${ns.redis.prefix}hooks:${id}`, 0)) ?? '{}') as { attempts?: number }).attempts ?? 0;
    await waitFor('four failed deliveries of every hook', async () => (await Promise.all(jobs.map((j) => attempts(j.id)))).every((n) => n >= 4), 30_000, 200);
    expect((await getJob(js.url, jobs[0]!.id)).hook_status).toBe('retrying');
    await receiver.start();
    await waitFor('all hooks', () => jobs.every((j) => receiver.of(j.id).some((h) => h.status === 'Success')), 15_000);
    for (const [i, job] of jobs.entries()) {
      const hooks = receiver.of(job.id);
      expect(hooks.map((h) => [h.status, h.check_in ?? null])).toEqual([
        ['Running', null],
        ['Running', `progress ${i}`],
        ['Success', null],
      ]);
      expect(inOrder(hooks)).toBe(true);
    }
    expect((await getJob(js.url, jobs[0]!.id)).ack).toMatchObject({ status: 'Success' });
    await js.stop();
  }, 60_000);
});

describe('jobservice through a RabbitMQ restart', () => {
  let rabbit: PrivateRabbit;
  let ns: Namespace;
  const receiver = new HookReceiver();

  beforeAll(async () => {
    // A node of the test's own: restarting the machine's RabbitMQ would break every other test.
    rabbit = await startPrivateRabbit({ label: 'jobservice' });
    ns = await createNamespace('rabbit', { amqpUrl: rabbit.url });
    await receiver.start();
  }, 180_000);

  afterAll(async () => {
    await ns?.cleanup();
    await rabbit?.stop();
    await receiver.stop();
  }, 120_000);

  async function readyIn(queue: string): Promise<number> {
    const out = await rabbit.ctl(['list_queues', '-q', 'name', 'messages_ready']);
    const line = out.split('\n').find((l) => l.startsWith(`${queue}\t`));
    return Number(line?.split('\t')[1] ?? NaN);
  }

  it('loses nothing and runs nothing twice: 100 queued jobs all end Success, 200 running ones are not run again', async () => {
    const js = await ns.spawn();
    // 200 jobs that run until stopped fill the DEMO consumer's 200 slots (its prefetch), so the next 100 wait in the queue.
    const blockers = await Promise.all(Array.from({ length: 200 }, () => launch(js.url, { name: 'DEMO', parameters: { sleep_ms: 3_600_000 } })));
    await waitFor('200 running', async () => (await Promise.all(blockers.map((j) => getJob(js.url, j.id)))).every((j) => j.status === 'Running'), 30_000, 250);
    const jobs: JobStatsV1[] = [];
    for (let i = 0; i < 100; i++) jobs.push(await launch(js.url, { name: 'DEMO', parameters: { sleep_ms: 10 }, status_hook: receiver.url }));
    expect(await readyIn(`${ns.queuePrefix}jobs.DEMO`)).toBe(100);

    const { downAt, upAt } = await rabbit.restart(1000);
    expect(upAt - downAt).toBeGreaterThanOrEqual(1000);
    await waitFor('all 100 jobs done', async () => (await Promise.all(jobs.map((j) => getJob(js.url, j.id)))).every((j) => j.status === 'Success'), 60_000, 500);
    await waitFor('all 100 success hooks', () => jobs.every((j) => receiver.of(j.id).some((h) => h.status === 'Success')), 20_000);
    // The running jobs' messages came back with the new connection; they were not run again.
    for (const blocker of blockers) expect(await stopJob(js.url, blocker.id)).toBe(204);
    const stopped = await waitFor('200 stopped', async () => {
      const all = await Promise.all(blockers.map((j) => getJob(js.url, j.id)));
      return all.every((j) => j.status === 'Stopped') ? all : undefined;
    });
    expect(stopped.every((j) => j.executions === 1)).toBe(true);
    expect(await readyIn(`${ns.queuePrefix}jobs.DEMO`)).toBe(0);
    await js.stop();
  }, 180_000);
});
