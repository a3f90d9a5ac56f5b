import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNamespace, getJob, HookReceiver, jobLog, launch, waitFor, type Namespace } from './harness.js';

/** The `job run started` / `job run succeeded` lines of a job log, in order. */
function runLines(log: string): string[] {
  return log.split('\n').flatMap((line) => (/job run (started|succeeded|failed|stopped)/.exec(line)?.[1] ? [/job run (\w+)/.exec(line)![1]!] : []));
}

describe('exactly one run of a job at a time', () => {
  let ns: Namespace;
  const receiver = new HookReceiver();

  beforeAll(async () => {
    ns = await createNamespace('once');
    await receiver.start();
  });

  afterAll(async () => {
    await ns?.cleanup();
    await receiver.stop();
  });

  it('runs a job killed with its worker (kill -9) once more, not twice, although RabbitMQ redelivers it and the reaper re-queues it', async () => {
    const env = { JOBSERVICE_HEARTBEAT_INTERVAL: '500ms', JOBSERVICE_REAPER_INTERVAL: '500ms' };
    const a = await ns.spawn(env);
    const job = await launch(a.url, { name: 'DEMO', parameters: { sleep_ms: 6000 }, status_hook: receiver.url });
    await waitFor('running on the first worker', () => receiver.of(job.id).some((h) => h.status === 'Running'));
    const b = await ns.spawn(env);
    await a.kill();
    // The second worker gets the redelivered message; its reaper finds the first worker's pool dead mid-run.
    await waitFor('dead pool reaped', async () => (await b.processLog()).includes('dead worker pool reaped'), 20_000);
    await waitFor('success hook', () => receiver.of(job.id).some((h) => h.status === 'Success'), 30_000);
    // Whatever the reaper re-queued has been consumed by now: the schedule holds nothing for the job.
    await waitFor('nothing left to publish', async () => (await ns.scheduled()).length === 0);
    await waitFor('queue drained', async () => (await ns.queueDepth('DEMO')) === 0);
    const final = await getJob(b.url, job.id);
    expect(final.status).toBe('Success');
    expect(final.executions).toBe(2);
    // One run on the killed worker (never ended), then exactly one run to its end.
    expect(runLines(await jobLog(b.url, job.id))).toEqual(['started', 'started', 'succeeded']);
    const successes = receiver.of(job.id).filter((h) => h.status === 'Success');
    expect(successes).toHaveLength(1);
    await b.stop();
  }, 90_000);
});
