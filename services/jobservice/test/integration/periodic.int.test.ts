import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH, createNamespace, getJob, HookReceiver, launch, sleep, stopJob, type Namespace } from './harness.js';
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

describe('periodic jobs with two jobservice replicas', () => {
  it('fires */2 * * * * * 10 times in 20 s (±1), once per tick, and not after a stop', async () => {
    const [a, b] = [await ns.spawn(), await ns.spawn()];
    const periodic = await launch(a.url, { name: 'DEMO', parameters: {}, metadata: { kind: 'Periodic', cron_spec: '*/2 * * * * *' }, status_hook: receiver.url });
    await sleep(20_000);
    expect(await stopJob(b.url, periodic.id)).toBe(204);
    await sleep(1000);
    const res = await fetch(`${a.url}/api/v1/jobs/${periodic.id}/executions?page_size=100`, { headers: AUTH });
    const executions = (await res.json()) as JobStatsV1[];
    const total = Number(res.headers.get('total-count'));
    expect(total).toBe(executions.length);
    expect(total).toBeGreaterThanOrEqual(9);
    expect(total).toBeLessThanOrEqual(11);
    const ticks = executions.map((e) => Number(e.id.split('@')[1]));
    expect(new Set(ticks).size).toBe(ticks.length);
    for (const e of executions) {
      expect(e.id.startsWith(`${periodic.id}@`)).toBe(true);
      expect(e.upstream_job_id).toBe(periodic.id);
      expect(Number(e.id.split('@')[1]) % 2).toBe(0);
    }
    // Each tick ran once: one Success hook per execution, none twice.
    const successes = receiver.hooks.filter((h) => h.status === 'Success' && h.job_id.startsWith(`${periodic.id}@`)).map((h) => h.job_id);
    expect(new Set(successes).size).toBe(successes.length);
    expect((await getJob(a.url, periodic.id)).status).toBe('Stopped');
    await sleep(3000);
    const after = await fetch(`${a.url}/api/v1/jobs/${periodic.id}/executions?page_size=100`, { headers: AUTH });
    expect(Number(after.headers.get('total-count'))).toBe(total);
  }, 60_000);
});
