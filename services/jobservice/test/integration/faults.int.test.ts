import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH, createNamespace, getJob, HookReceiver, launch, sleep, waitFor, type Namespace } from './harness.js';
import type { JobStatsV1, JobStatus } from '@wharf/contracts';

const run = promisify(execFile);
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

// The fault tests run one after another: they restart shared infrastructure.
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
    await sleep(500);
    const final = await getJob(js.url, job.id);
    expect(final.executions).toBe(2);
    const log = await (await fetch(`${js.url}/api/v1/jobs/${job.id}/log`, { headers: AUTH })).text();
    expect(log.match(/job run started/g)).toHaveLength(2);
    const successes = receiver.of(job.id).filter((h) => h.status === 'Success' && h.metadata?.revision === final.revision);
    expect(successes).toHaveLength(1);
    await js.stop();
  }, 60_000);

  it('loses nothing when RabbitMQ restarts with 100 jobs queued: all 100 finish Success', async () => {
    const js = await ns.spawn();
    // 200 slow jobs fill the DEMO consumer's 200 slots (its prefetch), so the next 100 wait in the queue.
    const blockers = await Promise.all(Array.from({ length: 200 }, () => launch(js.url, { name: 'DEMO', parameters: { sleep_ms: 3000 } })));
    const jobs: JobStatsV1[] = [];
    for (let i = 0; i < 100; i++) jobs.push(await launch(js.url, { name: 'DEMO', parameters: { sleep_ms: 10 }, status_hook: receiver.url }));
    const { stdout } = await run('rabbitmqctl', ['list_queues', 'name', 'messages_ready']);
    const ready = Number(stdout.split('\n').find((line) => line.startsWith(`${ns.queuePrefix}jobs.DEMO\t`))?.split('\t')[1]);
    expect(ready).toBeGreaterThanOrEqual(90);
    await run('rabbitmqctl', ['stop_app']);
    try {
      await sleep(1000);
    } finally {
      await run('rabbitmqctl', ['start_app']);
    }
    await waitFor(
      'all 100 jobs done',
      async () => (await Promise.all([...blockers, ...jobs].map((j) => getJob(js.url, j.id)))).every((j) => j.status === 'Success'),
      60_000,
      500,
    );
    await waitFor('all 100 success hooks', () => jobs.every((j) => receiver.of(j.id).some((h) => h.status === 'Success')), 20_000);
    await js.stop();
  }, 120_000);

  it('delivers every hook, in order per job, after the receiver was down for 60 s', async () => {
    const js = await ns.spawn();
    await receiver.stop();
    const jobs: JobStatsV1[] = [];
    for (let i = 0; i < 10; i++) {
      jobs.push(await launch(js.url, { name: 'DEMO', parameters: { sleep_ms: 200 * i, check_ins: [`progress ${i}`] }, status_hook: receiver.url }));
    }
    await waitFor('jobs done', async () => (await Promise.all(jobs.map((j) => getJob(js.url, j.id)))).every((j) => j.status === 'Success'));
    for (const job of jobs) expect(receiver.of(job.id)).toHaveLength(0);
    await sleep(60_000);
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
  }, 120_000);
});
