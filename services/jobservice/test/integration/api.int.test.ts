import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH, createNamespace, getJob, HookReceiver, launch, stopJob, waitFor, type JobserviceProcess, type Namespace } from './harness.js';

let ns: Namespace;
let js: JobserviceProcess;
const receiver = new HookReceiver();

beforeAll(async () => {
  ns = await createNamespace('api');
  await receiver.start();
  js = await ns.spawn();
});

afterAll(async () => {
  await ns?.cleanup();
  await receiver.stop();
});

const post = (path: string, body: unknown, headers: Record<string, string> = AUTH) =>
  fetch(`${js.url}${path}`, { method: 'POST', headers: { ...headers, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

describe('jobservice API on a real process', () => {
  it('answers 401 without or with a wrong secret, 400 with reasons, 404, 409 and 501', async () => {
    expect((await fetch(`${js.url}/api/v1/jobs/x`)).status).toBe(401);
    expect((await fetch(`${js.url}/api/v1/jobs/x`, { headers: { Authorization: 'Harbor-Secret wrong' } })).status).toBe(401);
    expect((await fetch(`${js.url}/api/v1/stats`)).status).toBe(200);

    const bad = await post('/api/v1/jobs', { job: { name: 'DEMO', parameters: { sleep_ms: 'x' }, metadata: { kind: 'Generic' } } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { errors: { message: string }[] }).errors[0]!.message).toMatch(/sleep_ms/);
    const cron = await post('/api/v1/jobs', { job: { name: 'DEMO', parameters: {}, metadata: { kind: 'Periodic', cron_spec: 'every day' } } });
    expect(cron.status).toBe(400);
    expect((await post('/api/v1/jobs', { job: { name: 'NOPE', parameters: {}, metadata: { kind: 'Generic' } } })).status).toBe(400);
    expect((await post('/api/v1/jobs', { job: { name: 'DEMO', parameters: {}, metadata: { kind: 'Scheduled', schedule_delay: 0 } } })).status).toBe(400);

    expect((await fetch(`${js.url}/api/v1/jobs/unknown`, { headers: AUTH })).status).toBe(404);
    expect((await post('/api/v1/jobs/unknown', { action: 'stop' })).status).toBe(404);

    const unique = { name: 'DEMO', parameters: { sleep_ms: 3000 }, metadata: { kind: 'Generic', unique: true } };
    const first = await launch(js.url, unique);
    const dup = await post('/api/v1/jobs', { job: unique });
    expect(dup.status).toBe(409);
    expect((await post(`/api/v1/jobs/${first.id}`, { action: 'pause' })).status).toBe(501);
    expect(await stopJob(js.url, first.id)).toBe(204);
  });

  it('stops a running job within 2 s; a stopped scheduled or pending job never runs', async () => {
    const running = await launch(js.url, { name: 'DEMO', parameters: { sleep_ms: 60_000 }, status_hook: receiver.url });
    await waitFor('running', async () => (await getJob(js.url, running.id)).status === 'Running');
    const asked = Date.now();
    expect(await stopJob(js.url, running.id)).toBe(204);
    await waitFor('stopped', async () => (await getJob(js.url, running.id)).status === 'Stopped', 2000, 50);
    expect(Date.now() - asked).toBeLessThan(2000);

    const scheduled = await launch(js.url, { name: 'DEMO', parameters: {}, metadata: { kind: 'Scheduled', schedule_delay: 1 }, status_hook: receiver.url });
    expect(scheduled.status).toBe('Scheduled');
    expect(await stopJob(js.url, scheduled.id)).toBe(204);
    expect(await ns.scheduled()).not.toContain(scheduled.id);
    // A job scheduled at the same delay after it has run: the stopped one's time has passed too.
    const later = await launch(js.url, { name: 'DEMO', parameters: {}, metadata: { kind: 'Scheduled', schedule_delay: 1 } });
    await waitFor('a later scheduled job done', async () => (await getJob(js.url, later.id)).status === 'Success', 10_000);
    const after = await getJob(js.url, scheduled.id);
    expect(after.status).toBe('Stopped');
    expect(after.executions ?? 0).toBe(0);
    await waitFor('stopped hook', () => receiver.of(scheduled.id).length > 0);
    expect(receiver.of(scheduled.id).map((h) => h.status)).toEqual(['Stopped']);

    const log = await fetch(`${js.url}/api/v1/jobs/${running.id}/log`, { headers: AUTH });
    expect(log.status).toBe(200);
    expect(await log.text()).toMatch(/job run stopped/);
  });

  it('runs a scheduled job at its time, and retries a failing job with a new revision until it succeeds', async () => {
    const scheduled = await launch(js.url, { name: 'DEMO', parameters: {}, metadata: { kind: 'Scheduled', schedule_delay: 1 } });
    await waitFor('scheduled job done', async () => (await getJob(js.url, scheduled.id)).status === 'Success', 5000);
    expect(Date.now() / 1000).toBeGreaterThanOrEqual(scheduled.run_at!);

    const flaky = await launch(js.url, { name: 'DEMO', parameters: { fail_times: 2 }, status_hook: receiver.url });
    await waitFor('flaky job done', () => receiver.of(flaky.id).some((h) => h.status === 'Success'), 15_000);
    const hooks = receiver.of(flaky.id);
    expect(hooks.map((h) => h.status)).toEqual(['Running', 'Pending', 'Running', 'Pending', 'Running', 'Success']);
    const revisions = hooks.filter((h) => h.status === 'Pending').map((h) => h.metadata!.revision!);
    expect(revisions[0]!).toBeGreaterThan(flaky.revision!);
    expect(revisions[1]!).toBeGreaterThan(revisions[0]!);
    expect(hooks.every((h) => (h as { authorization?: string }).authorization === AUTH.Authorization)).toBe(true);
    expect((await getJob(js.url, flaky.id)).ack).toMatchObject({ status: 'Success', revision: revisions[1] });

    const doomed = await launch(js.url, { name: 'DEMO', parameters: { fail_permanently: true } });
    await waitFor('doomed job failed', async () => (await getJob(js.url, doomed.id)).status === 'Error');
    type Stats = { dead_letters: Record<string, number> };
    await waitFor('dead letter counted', async () => ((await (await fetch(`${js.url}/api/v1/stats`)).json()) as Stats).dead_letters.DEMO! >= 1);
  });
});
