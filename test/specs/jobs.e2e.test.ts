import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '@wharf/config';
import { createPool, type Pool } from '@wharf/db';
import { ensureStackSecrets } from '@wharf/launcher';
import { createLogger } from '@wharf/logging';
import { HttpJobServiceClient } from '../../services/core/src/jobs/jobservice.client.js';
import { AesGcmCredentialCipher } from '../../services/core/src/registries/credential-cipher.js';
import { createCheckInProcessors } from '../../services/core/src/tasks/check-in.registry.js';
import { PgExecutionStore } from '../../services/core/src/tasks/execution.store.js';
import { ExecutionService } from '../../services/core/src/tasks/execution.service.js';
import { PgTaskStore } from '../../services/core/src/tasks/task.store.js';
import { TaskService } from '../../services/core/src/tasks/task.service.js';
import type { Execution, Task } from '../../services/core/src/tasks/tasks.schemas.js';
import { startSuite, type Suite } from '../src/suite.js';

/**
 * Harbor's job flow across real processes: core's task framework (the code every feature
 * of core uses, run here against the suite's own database, standing in for a feature that
 * creates executions) submits DEMO jobs to the suite's jobservice, which runs them on
 * RabbitMQ and posts every status change to the status hook of the real core process,
 * which moves the task and its execution forward. The checks read what core stored and
 * what core logged, as an operator would.
 */
describe('jobs between core and jobservice', () => {
  let suite: Suite;
  let pool: Pool;
  let tasks: TaskService;
  let executions: ExecutionService;
  let jobservice: HttpJobServiceClient;

  beforeAll(async () => {
    suite = await startSuite('jobs');
    const { secret } = ensureStackSecrets(join(suite.dir, 'data'));
    pool = createPool({ url: suite.db.url, schema: 'core', max: 4 });
    const logger = createLogger({ service: 'jobs-e2e', level: 'error', format: 'json' });
    jobservice = new HttpJobServiceClient({ baseUrl: suite.jobserviceUrl, secret: new Secret(secret), timeoutMs: 10_000 });
    tasks = new TaskService({
      tasks: new PgTaskStore({ pool }),
      jobs: jobservice,
      jobSpecs: new AesGcmCredentialCipher({ key: new Secret(ensureStackSecrets(join(suite.dir, 'data')).encryptionKey), purpose: 'task-job' }),
      checkIns: createCheckInProcessors({ logger }),
      coreInternalUrl: suite.coreUrl,
      logger,
    });
    executions = new ExecutionService({ executions: new PgExecutionStore({ pool }), tasks, logger });
  });
  afterAll(async () => {
    await pool?.end();
    await suite?.stop();
  });

  async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await read();
      if (done(value)) return value;
      if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)} after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  const taskOf = (id: number): Promise<Task> => tasks.get(id);
  const executionOf = (id: number): Promise<Execution> => executions.get(id);

  /** The statuses core applied to a task, in the order it applied them (its `task status changed` log lines). */
  async function appliedStatuses(taskId: number): Promise<string[]> {
    const lines = (await suite.log('core')).split('\n').filter((line) => line.includes('"task status changed"'));
    return lines
      .map((line) => JSON.parse(line) as { taskId: number; status: string; revision: number })
      .filter((entry) => entry.taskId === taskId)
      .map((entry) => `${entry.status}@${entry.revision}`);
  }

  function demo(parameters: Record<string, unknown>) {
    return { name: 'DEMO', parameters, metadata: { kind: 'Generic' as const, unique: false } };
  }

  it('runs the jobs of an execution and brings every task and the execution to Success through status hooks', async () => {
    const execution = await executions.create('DEMO', -1, 'MANUAL');
    const created = await Promise.all([1, 2, 3].map(() => tasks.create(execution.id, demo({ sleep_ms: 200 }))));
    for (const task of created) expect(task.jobId, task.statusMessage).toBeTruthy();
    const done = await until('execution', () => executionOf(execution.id), (e) => e.status !== 'Running');
    expect(done.status).toBe('Success');
    expect(done.metrics).toMatchObject({ taskCount: 3, successTaskCount: 3, errorTaskCount: 0, runningTaskCount: 0 });
    expect(done.endTime).not.toBeNull();
    for (const task of created) {
      const final = await taskOf(task.id);
      expect(final).toMatchObject({ status: 'Success', runCount: 1 });
      expect(final.startTime).not.toBeNull();
      expect(await tasks.getLog(task.id)).not.toBe('');
    }
  });

  it('reruns a job whose jobservice was killed mid-run; the task ends Success exactly once', async () => {
    const execution = await executions.create('DEMO', -1, 'MANUAL');
    const task = await tasks.create(execution.id, demo({ sleep_ms: 4000 }));
    await until('task running', () => taskOf(task.id), (t) => t.status === 'Running');
    await suite.stack.restart('jobservice', { kill: true });
    const final = await until('task', () => taskOf(task.id), (t) => t.status === 'Success' || t.status === 'Error', 90_000);
    expect(final.status).toBe('Success');
    // jobservice ran it twice: the killed run and the rerun.
    const stats = await jobservice.get(task.jobId!);
    expect(stats?.executions).toBeGreaterThanOrEqual(2);
    const applied = await appliedStatuses(task.id);
    expect(applied.filter((entry) => entry.startsWith('Success@'))).toHaveLength(1);
    expect(applied.at(-1)).toMatch(/^Success@/);
    expect((await executionOf(execution.id)).status).toBe('Success');
  });

  it('delivers every hook once core is back after 60 s down, in order per job, and the executions end right', async () => {
    const execution = await executions.create('DEMO', -1, 'MANUAL');
    const failing = await executions.create('DEMO', -1, 'MANUAL');
    const created = await Promise.all([1, 2, 3, 4].map(() => tasks.create(execution.id, demo({ sleep_ms: 3000 }))));
    for (const task of created) await until('task running', () => taskOf(task.id), (t) => t.status === 'Running');
    // Every job finishes while core is down; their hooks wait in jobservice. One more job,
    // submitted while core is down, fails for good.
    const coreBack = suite.stack.restart('core', { downMs: 60_000 });
    await until('core down', () => fetch(`${suite.coreUrl}/healthz`).then((r) => r.status, () => 0), (status) => status === 0, 20_000);
    const doomed = await tasks.create(failing.id, demo({ fail_permanently: true }));
    expect(doomed.jobId).toBeTruthy();
    await coreBack;
    const done = await until('execution', () => executionOf(execution.id), (e) => e.status !== 'Running', 120_000);
    expect(done.status).toBe('Success');
    expect(done.metrics).toMatchObject({ taskCount: 4, successTaskCount: 4 });
    const failed = await until('failing execution', () => executionOf(failing.id), (e) => e.status !== 'Running', 120_000);
    expect(failed.status).toBe('Error');
    expect(failed.metrics).toMatchObject({ taskCount: 1, errorTaskCount: 1 });
    for (const task of created) {
      const statuses = (await appliedStatuses(task.id)).map((entry) => entry.split('@')[0]);
      // Applied in the order they happened: nothing after Success, Running before it.
      expect(statuses.at(-1)).toBe('Success');
      expect(statuses.indexOf('Running')).toBeLessThan(statuses.indexOf('Success'));
      expect(statuses.filter((status) => status === 'Success')).toHaveLength(1);
    }
  });

  it('stops an execution: its running job ends Stopped within 2 s and its pending one never runs', async () => {
    const execution = await executions.create('DEMO', -1, 'MANUAL');
    const running = await tasks.create(execution.id, demo({ sleep_ms: 60_000 }));
    await until('task running', () => taskOf(running.id), (t) => t.status === 'Running');
    const later = await tasks.create(execution.id, { name: 'DEMO', parameters: { sleep_ms: 100 }, metadata: { kind: 'Scheduled', schedule_delay: 30, unique: false } });
    const stoppedAt = Date.now();
    await executions.stop(execution.id);
    const stopped = await until('execution stopped', () => executionOf(execution.id), (e) => e.status !== 'Running', 10_000);
    expect(Date.now() - stoppedAt).toBeLessThan(2_000 + 500);
    expect(stopped.status).toBe('Stopped');
    expect(await taskOf(running.id)).toMatchObject({ status: 'Stopped' });
    const pending = await taskOf(later.id);
    expect(pending.status).toBe('Stopped');
    expect(await appliedStatuses(later.id)).not.toContainEqual(expect.stringMatching(/^Running@/));
  });
});
