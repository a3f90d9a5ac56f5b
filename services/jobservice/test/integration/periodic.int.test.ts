import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH, createNamespace, getJob, HookReceiver, launch, stopJob, waitFor, type JobserviceProcess, type Namespace } from './harness.js';
import type { JobStatsV1 } from '@wharf/contracts';

let ns: Namespace;
const receiver = new HookReceiver();

beforeAll(async () => {
  ns = await createNamespace('periodic');
  await receiver.start();
});

afterAll(async () => {
  await ns?.cleanup();
  await receiver.stop();
});

async function executions(js: JobserviceProcess, id: string): Promise<{ total: number; list: JobStatsV1[] }> {
  const res = await fetch(`${js.url}/api/v1/jobs/${id}/executions?page_size=100`, { headers: AUTH });
  return { total: Number(res.headers.get('total-count')), list: (await res.json()) as JobStatsV1[] };
}

describe('periodic jobs with two jobservice replicas', () => {
  it('fires */2 * * * * * on every even second, once per tick, each run once, and not after a stop', async () => {
    const [a, b] = [await ns.spawn(), await ns.spawn()];
    const periodic = await launch(a.url, { name: 'DEMO', parameters: {}, metadata: { kind: 'Periodic', cron_spec: '*/2 * * * * *' }, status_hook: receiver.url });
    await waitFor('10 executions', async () => (await executions(b, periodic.id)).total >= 10, 40_000, 250);
    expect(await stopJob(b.url, periodic.id)).toBe(204);
    expect((await getJob(a.url, periodic.id)).status).toBe('Stopped');

    // A second periodic job on the same cron: two of its ticks after the stop prove the
    // stopped one's ticks have come and gone on both replicas.
    const witness = await launch(b.url, { name: 'DEMO', parameters: {}, metadata: { kind: 'Periodic', cron_spec: '*/2 * * * * *' } });
    await waitFor('two ticks after the stop', async () => (await executions(a, witness.id)).total >= 2, 15_000, 250);
    const { total, list } = await executions(a, periodic.id);
    expect(total).toBe(list.length);
    const ticks = list.map((e) => Number(e.id.split('@')[1])).sort((x, y) => x - y);
    // Once per tick (two replicas, one winner), every even second from the first to the last: none skipped.
    expect(new Set(ticks).size).toBe(ticks.length);
    ticks.forEach((tick, i) => {
      expect(tick % 2).toBe(0);
      if (i > 0) expect(tick - ticks[i - 1]!).toBe(2);
    });
    for (const e of list) {
      expect(e.id.startsWith(`${periodic.id}@`)).toBe(true);
      expect(e.upstream_job_id).toBe(periodic.id);
    }
    // Each tick ran once: one Success hook per execution, none twice.
    await waitFor('every execution done', async () => (await Promise.all(list.map((e) => getJob(a.url, e.id)))).every((e) => e.status === 'Success'));
    await waitFor('every success hook', () => list.every((e) => receiver.of(e.id).some((h) => h.status === 'Success')));
    const successes = receiver.hooks.filter((h) => h.status === 'Success' && h.job_id.startsWith(`${periodic.id}@`)).map((h) => h.job_id);
    expect(new Set(successes).size).toBe(successes.length);
    expect((await Promise.all(list.map((e) => getJob(a.url, e.id)))).every((e) => e.executions === 1)).toBe(true);
    // No tick after the stop: a further tick of the witness leaves the count as it was.
    const seen = (await executions(a, witness.id)).total;
    await waitFor('one more witness tick', async () => (await executions(a, witness.id)).total > seen, 10_000, 250);
    expect((await executions(a, periodic.id)).total).toBe(total);
    expect(await stopJob(a.url, witness.id)).toBe(204);
  }, 90_000);
});
