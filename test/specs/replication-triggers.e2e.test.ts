import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestImage, deleteRedisKeys } from '@wharf/testing';
import { createProject } from '../src/harbor-checks.js';
import {
  createPolicy,
  digestAt,
  distributionTags,
  executionsOf,
  expectSecretsHidden,
  finished,
  pushToWharf,
  startReplicationBed,
  taskLogs,
  until,
  type Distribution,
  type ExecutionView,
  type ReplicationBed,
} from '../src/replication.js';
import type { Suite } from '../src/suite.js';

/**
 * What starts a replication besides a user: a push or a delete in Wharf (event_based) and
 * a schedule (a jobservice periodic SCHEDULER job whose fires core turns into runs).
 */
describe('replication triggers', () => {
  let bed: ReplicationBed;
  let suite: Suite;
  let dist: Distribution;
  let registryId: number;
  let pool: pg.Pool | undefined;

  beforeAll(async () => {
    // Tasks checked against jobservice every 2 s, schedules every 5 s: a lost schedule is found within a tick.
    bed = await startReplicationBed('replication-triggers', undefined, { env: { CORE_TASK_CHECK_INTERVAL: '2s', CORE_TASK_CHECK_AFTER: '5s' } });
    ({ suite, dist, registryId } = bed);
  });
  afterAll(async () => {
    await pool?.end();
    await bed?.stop();
  });

  /** The task holding a policy's schedule (a SCHEDULER execution's one task), read from core's tables. */
  async function schedulerTask(policyId: number): Promise<{ job_id: string; status_message: string } | undefined> {
    pool ??= new pg.Pool({ connectionString: suite.db.url, options: '-c search_path=core', max: 1 });
    const found = await pool.query<{ job_id: string; status_message: string }>(
      `SELECT t.job_id, t.status_message FROM task t JOIN execution e ON e.id = t.execution_id
        WHERE e.vendor_type = 'SCHEDULER' AND e.vendor_id = $1 AND t.status <> 'Stopped' ORDER BY t.id DESC LIMIT 1`,
      [policyId],
    );
    return found.rows[0];
  }

  it('event_based: a push to Wharf is at the destination within seconds; deleting the artifact in Wharf deletes it there', async () => {
    await createProject(suite.admin, 'evt', 'private');
    const policyId = await createPolicy(suite.admin, {
      name: 'on-push',
      dest_registry: { id: registryId },
      filters: [{ type: 'name', value: 'evt/**' }],
      trigger: { type: 'event_based' },
      replicate_deletion: true,
      override: true,
    });
    const image = createTestImage({ layers: 2 });
    const pushedAt = Date.now();
    await pushToWharf(suite, 'evt/app', image, ['v1', 'v2']);
    await until('v1 and v2 at the destination', async () => [await digestAt(dist, 'evt/app', 'v1'), await digestAt(dist, 'evt/app', 'v2')], (d) => d.every((x) => x === image.manifest.digest), 15_000, 200);
    const seconds = (Date.now() - pushedAt) / 1000;
    expect(seconds).toBeLessThan(15);

    const runs = await until('event executions done', () => executionsOf(suite.admin, policyId), (list) => list.length > 0 && list.every((e) => e.status !== 'InProgress'), 15_000);
    expect(runs.every((e) => e.trigger === 'event_based')).toBe(true);
    expect(runs.every((e) => e.status === 'Succeed'), JSON.stringify(runs)).toBe(true);

    // A push outside the policy's filter replicates nothing.
    await createProject(suite.admin, 'quiet', 'private');
    await pushToWharf(suite, 'quiet/app', createTestImage(), ['v1']);

    const deleted = await suite.admin.delete(`/projects/evt/repositories/app/artifacts/${image.manifest.digest}`);
    expect(deleted.status, deleted.text).toBe(200);
    await until('the manifest gone from the destination', () => digestAt(dist, 'evt/app', image.manifest.digest), (d) => d === undefined, 15_000, 200);
    expect(await digestAt(dist, 'evt/app', 'v1')).toBeUndefined();
    expect(await digestAt(dist, 'evt/app', 'v2')).toBeUndefined();
    const all = await until('deletion execution done', () => executionsOf(suite.admin, policyId), (list) => list.length > runs.length && list.every((e) => e.status !== 'InProgress'), 15_000);
    const deletion = all.filter((e) => !runs.some((r) => r.id === e.id));
    expect(deletion.map((e) => [e.trigger, e.status])).toEqual(deletion.map(() => ['event_based', 'Succeed']));
    expect(await digestAt(dist, 'quiet/app', 'v1')).toBeUndefined();
  });

  it('event_based tag deletion to docker-registry (which cannot delete tags): the run fails at once with a clear message, the artifact stays', async () => {
    await createProject(suite.admin, 'evtag', 'private');
    const policyId = await createPolicy(suite.admin, {
      name: 'on-tag-delete',
      dest_registry: { id: registryId },
      filters: [{ type: 'name', value: 'evtag/**' }],
      trigger: { type: 'event_based' },
      replicate_deletion: true,
    });
    const image = createTestImage();
    await pushToWharf(suite, 'evtag/app', image, ['keep', 'drop']);
    await until('both tags at the destination', async () => [await digestAt(dist, 'evtag/app', 'keep'), await digestAt(dist, 'evtag/app', 'drop')], (d) => d.every((x) => x === image.manifest.digest), 15_000, 200);
    const copies = await until('copies done', () => executionsOf(suite.admin, policyId), (list) => list.length > 0 && list.every((e) => e.status !== 'InProgress'), 15_000);

    const untagged = await suite.admin.delete('/projects/evtag/repositories/app/artifacts/keep/tags/drop');
    expect(untagged.status, untagged.text).toBe(200);
    const all = await until('the tag deletion run done', () => executionsOf(suite.admin, policyId), (list) => list.length > copies.length && list.every((e) => e.status !== 'InProgress'), 15_000);
    const [deletion, ...more] = all.filter((e) => !copies.some((c) => c.id === e.id));
    expect(more).toEqual([]);
    // As Harbor's native adapter ("the tag deletion isn't supported"): the task fails, once, saying why.
    expect(deletion).toMatchObject({ trigger: 'event_based', status: 'Failed', total: 1, failed: 1 });
    const [log] = await taskLogs(suite.admin, deletion!.id);
    expect(log).toContain('deleting the tag evtag/app:drop is not supported by this docker-registry registry');
    expect(log!.split('\n').filter((line) => line.includes('job run started'))).toHaveLength(1);
    expect(await digestAt(dist, 'evtag/app', 'keep')).toBe(image.manifest.digest);
    expect(await distributionTags(dist, 'evtag/app')).toEqual(['drop', 'keep']);
  });

  it('scheduled: Harbor refuses a cron firing every minute with "*" minutes; "0 */1 * * * *" runs once per tick, and keeps running after jobservice lost its state', async () => {
    await createProject(suite.admin, 'sched', 'private');
    const image = createTestImage();
    await pushToWharf(suite, 'sched/app', image, ['v1']);
    const body = { name: 'every-minute', dest_registry: { id: registryId }, filters: [{ type: 'name', value: 'sched/**' }], override: true };

    // Harbor's rule: seconds must be 0 and minutes must not be "*".
    for (const cron of ['*/5 * * * * *', '0 * * * * *']) {
      const refused = await suite.admin.post('/replication/policies', { ...body, enabled: true, trigger: { type: 'scheduled', trigger_settings: { cron } } });
      expect(refused.status, `${cron}: ${refused.text}`).toBe(400);
    }
    const policyId = await createPolicy(suite.admin, { ...body, trigger: { type: 'scheduled', trigger_settings: { cron: '0 */1 * * * *' } } });
    try {
      // The next minute boundary, then the one after: one execution each.
      const first = await until('the first scheduled execution', () => executionsOf(suite.admin, policyId), (list) => list.length >= 1, 75_000, 500);
      const run = await finished(suite.admin, first.at(-1)!.id);
      expect(run.status, (await taskLogs(suite.admin, run.id)).join('\n')).toBe('Succeed');
      expect(await digestAt(dist, 'sched/app', 'v1')).toBe(image.manifest.digest);

      // jobservice loses everything it kept in Redis (a Redis restarted without persistence) and
      // restarts: its periodic job is gone. core finds the schedule missing and registers it again.
      const scheduler = await until('the schedule', () => schedulerTask(policyId), (task) => task !== undefined, 10_000);
      const before = suite.stack.service('jobservice');
      const back = suite.stack.restart('jobservice', { downMs: 2000 });
      await before.exited;
      expect(await deleteRedisKeys(suite.redis.url, `${suite.redis.prefix}jobservice:`)).toBeGreaterThan(0);
      await back;
      const registered = await until('the schedule registered again', () => schedulerTask(policyId), (task) => task !== undefined && task.job_id !== scheduler!.job_id, 30_000, 500);
      expect(registered!.status_message).toContain(`jobservice no longer knows job ${scheduler!.job_id}`);

      await until('the second scheduled execution', () => executionsOf(suite.admin, policyId), (list) => list.length >= 2, 65_000, 500);
      // Let any duplicate fire of either tick show up.
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      const runs: ExecutionView[] = await executionsOf(suite.admin, policyId);
      expect(runs.every((e) => e.trigger === 'scheduled'), JSON.stringify(runs)).toBe(true);
      const minutes = runs.map((e) => new Date(e.start_time!).toISOString().slice(0, 16));
      expect(new Set(minutes).size, `one execution per tick: ${minutes.join(', ')}`).toBe(runs.length);
      expect(runs.length).toBe(2);
      // Nothing new to copy at the second tick: it succeeds as well.
      const second = await finished(suite.admin, runs.map((e) => e.id).sort((a, b) => b - a)[0]!);
      expect(second.status).toBe('Succeed');
    } finally {
      const removed = await suite.admin.delete(`/replication/policies/${policyId}`);
      expect(removed.status, removed.text).toBe(200);
      // The schedule is stopped for good: no task left for core to register again.
      expect(await schedulerTask(policyId)).toBeUndefined();
    }
  });

  it('the registry password shows in no answer, no service log and no task log', async () => {
    await expectSecretsHidden(suite, [dist.password!]);
  });
});
