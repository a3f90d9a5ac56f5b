import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestImage } from '@wharf/testing';
import { createProject, tagsByDigest } from '../src/harbor-checks.js';
import {
  createPolicy,
  digestAt,
  expectSecretsHidden,
  expectSucceeded,
  finished,
  getExecution,
  pushLargeImage,
  pushToWharf,
  startExecution,
  startReplicationBed,
  taskLogs,
  tasksOf,
  until,
  wharfDigest,
  type Distribution,
  type ReplicationBed,
} from '../src/replication.js';
import type { Suite } from '../src/suite.js';

const MiB = 1024 * 1024;
/** How long jobservice waits out an outage of a service a job calls, in this suite (5 minutes by default). */
const OUTAGE_WINDOW_SECONDS = 15;

/**
 * Replication when it does not simply run through: a user stops an execution while slow
 * copies run, the adapter process dies (SIGKILL) in the middle of a large blob, and the
 * adapter stays away longer than jobservice waits.
 */
describe('replication stopped and interrupted', () => {
  let bed: ReplicationBed;
  let suite: Suite;
  let dist: Distribution;
  let registryId: number;

  beforeAll(async () => {
    bed = await startReplicationBed('replication-faults', undefined, { env: { JOBSERVICE_RETRY_OUTAGE_WINDOW: `${OUTAGE_WINDOW_SECONDS}s` } });
    ({ suite, dist, registryId } = bed);
  });
  afterAll(async () => bed?.stop());

  it('stopping an execution while speed-limited copies run ends it Stopped, with the finished tasks counted Succeed', async () => {
    await createProject(suite.admin, 'stop', 'private');
    const small = ['small-1', 'small-2', 'small-3', 'small-4'];
    const big = ['big-1', 'big-2'];
    for (const name of small) await pushToWharf(suite, `stop/${name}`, createTestImage({ layers: 1, layerSize: 512 }), ['v1']);
    for (const name of big) await pushToWharf(suite, `stop/${name}`, createTestImage({ layers: 1, layerSize: 3 * MiB }), ['v1']);
    // 256 KiB/s per task: the small images copy at once, the 3 MiB ones take about 12 s.
    const policyId = await createPolicy(suite.admin, { name: 'slow', dest_registry: { id: registryId }, filters: [{ type: 'name', value: 'stop/**' }], speed: 256 });
    const executionId = await startExecution(suite.admin, policyId);
    const before = await until('the small copies done', () => getExecution(suite.admin, executionId), (e) => e.succeed >= small.length || e.status !== 'InProgress', 30_000, 100);
    expect(before.status, JSON.stringify(before)).toBe('InProgress');

    const stopAt = Date.now();
    const stop = await suite.admin.put(`/replication/executions/${executionId}`);
    expect(stop.status, stop.text).toBe(200);
    const stopped = await finished(suite.admin, executionId, 15_000);
    expect(Date.now() - stopAt).toBeLessThan(10_000);
    expect(stopped.status, JSON.stringify(stopped)).toBe('Stopped');
    expect(stopped.total).toBe(small.length + big.length);
    expect(stopped.stopped).toBeGreaterThan(0);
    expect(stopped.succeed).toBeGreaterThanOrEqual(small.length);
    expect(stopped.succeed).toBeLessThan(stopped.total);
    expect(stopped.in_progress).toBe(0);
    expect(stopped.succeed + stopped.stopped + stopped.failed).toBe(stopped.total);
    const tasks = await tasksOf(suite.admin, executionId);
    const stoppedTasks = tasks.filter((t) => t.status === 'Stopped');
    expect(stoppedTasks.length).toBe(stopped.stopped);
    expect(stoppedTasks.every((t) => big.some((name) => t.src_resource.startsWith(`stop/${name}`))), JSON.stringify(tasks)).toBe(true);
    for (const name of small) expect(await digestAt(dist, `stop/${name}`, 'v1'), name).toBeDefined();

    // A stopped copy does not finish behind the user's back.
    await new Promise((resolve) => setTimeout(resolve, 15_000));
    for (const task of stoppedTasks) {
      const repository = task.src_resource.split(':')[0]!;
      expect(await digestAt(dist, repository, 'v1'), `${repository} was copied after the stop`).toBeUndefined();
    }
  });

  it('kill -9 of the adapter in the middle of a large blob: jobservice retries the task and the execution ends Succeed with identical digests', async () => {
    const size = 200 * MiB;
    const large = await pushLargeImage(dist, 'upstream/large', 'v1', size);
    await createProject(suite.admin, 'killed', 'private');
    // 20 MiB/s: about 10 s per attempt, time enough to kill the adapter mid-blob.
    const policyId = await createPolicy(suite.admin, {
      name: 'large-pull',
      src_registry: { id: registryId },
      dest_namespace: 'killed',
      filters: [{ type: 'name', value: 'upstream/large' }],
      speed: 20 * 1024,
    });
    const executionId = await startExecution(suite.admin, policyId);
    const [running] = await until('the copy running', () => tasksOf(suite.admin, executionId), (tasks) => tasks[0]?.status === 'InProgress', 30_000, 100);
    // The task shows the blob on its way (progress check-ins): the kill lands mid-blob.
    const progressed = await until('progress', async () => (await tasksOf(suite.admin, executionId))[0]!, (t) => (t.bytes_copied ?? 0) > 0, 8_000, 200);
    expect(progressed.bytes_total).toBeGreaterThanOrEqual(size);
    expect(progressed.bytes_copied).toBeLessThan(size / 2);
    expect(progressed.eta_seconds).toBeGreaterThan(0);
    const adapter = () => suite.stack.services.find((s) => s.name === 'adapter')!;
    const killedPid = adapter().pid;
    expect((await digestAt(dist, 'upstream/large', 'v1'))).toBe(large.manifestDigest);
    expect(await wharfDigest(suite, 'killed/large', 'v1')).toBeUndefined();
    await suite.stack.restart('adapter', { kill: true });
    expect(adapter().pid).not.toBe(killedPid);

    const done = await finished(suite.admin, executionId, 120_000);
    await expectSucceeded(suite.admin, done, 1);
    expect(await wharfDigest(suite, 'killed/large', 'v1')).toBe(large.manifestDigest);
    expect(await tagsByDigest(suite.admin, 'killed', 'large')).toEqual({ [large.manifestDigest]: ['v1'] });
    const blob = await (await suite.registryAs({ username: 'admin', password: suite.adminPassword }, ['repository:killed/large:pull'])).request('HEAD', `/v2/killed/large/blobs/${large.layerDigest}`);
    expect(blob.status).toBe(200);
    expect(Number(blob.headers.get('content-length'))).toBe(size);

    // The task log shows jobservice ran the job again after the adapter died under it.
    const [log] = await taskLogs(suite.admin, executionId);
    const starts = log!.split('\n').filter((line) => line.includes(running!.job_id) && line.includes('job run started'));
    expect(starts.length, log).toBeGreaterThanOrEqual(2);
    expect(log).toMatch(/job run failed/);
    const final = (await tasksOf(suite.admin, executionId))[0]!;
    expect(final).toMatchObject({ status: 'Succeed', eta_seconds: 0 });
    expect(final.bytes_total).toBeGreaterThanOrEqual(size);
  });

  it('an adapter away for longer than jobservice waits ends the task Failed, and the execution and the task say why', async () => {
    await createProject(suite.admin, 'outage', 'private');
    await pushToWharf(suite, 'outage/app', createTestImage({ layers: 1, layerSize: 8 * MiB }), ['v1']);
    // 512 KiB/s: the copy takes about 16 s, so the adapter goes away under it.
    const policyId = await createPolicy(suite.admin, { name: 'outage', dest_registry: { id: registryId }, filters: [{ type: 'name', value: 'outage/**' }], speed: 512 });
    const executionId = await startExecution(suite.admin, policyId);
    await until('the copy under way', async () => (await tasksOf(suite.admin, executionId))[0], (t) => (t?.bytes_copied ?? 0) > 0, 30_000, 200);
    const back = suite.stack.restart('adapter', { kill: true, downMs: (OUTAGE_WINDOW_SECONDS + 20) * 1000 });
    try {
      const failed = await finished(suite.admin, executionId, (OUTAGE_WINDOW_SECONDS + 60) * 1000);
      expect(failed, JSON.stringify(failed)).toMatchObject({ status: 'Failed', failed: 1 });
      expect(failed.status_text).toMatch(/^1 of 1 tasks failed: .*(ECONNREFUSED|cannot reach)/);
      const [task] = await tasksOf(suite.admin, executionId);
      expect(task!.status).toBe('Failed');
      expect(task!.status_text).toMatch(/ECONNREFUSED|cannot reach/);
      expect(failed.status_text).toContain(task!.status_text);
    } finally {
      await back;
    }
  });

  it('the registry password shows in no answer, no service log and no task log', async () => {
    await expectSecretsHidden(suite, [dist.password!]);
  });
});
