import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '@wharf/config';
import { createPool, migrate, type Pool } from '@wharf/db';
import { errorMiddleware, notFound, requestId } from '@wharf/http-kit';
import { createLogger } from '@wharf/logging';
import { createTestDatabase, freePort, type TestDatabase } from '@wharf/testing';
import { mapCoreError } from '../../src/http/errors.js';
import { securityContext } from '../../src/http/security.js';
import { HttpJobServiceClient } from '../../src/jobs/jobservice.client.js';
import type { ListQuery } from '../../src/listing/list-query.js';
import type { LoginService } from '../../src/sessions/login.service.js';
import { PgExecutionStore } from '../../src/tasks/execution.store.js';
import { ExecutionService } from '../../src/tasks/execution.service.js';
import { jobHookRoutes } from '../../src/tasks/job-hook.routes.js';
import { PgTaskStore } from '../../src/tasks/task.store.js';
import { AesGcmCredentialCipher } from '../../src/registries/credential-cipher.js';
import { TaskReconciler } from '../../src/tasks/task-reconcile.service.js';
import { TaskService } from '../../src/tasks/task.service.js';
import type { JobHook, Task } from '../../src/tasks/tasks.schemas.js';
import { FakeJobservice } from '../fixtures/fake-jobservice.js';

const MIGRATIONS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'migrations');
const SECRET = 'the-suite-secret-for-tasks';
const INTERNAL_URL = 'http://core.internal:8081';
const R1 = 1_700_000_000;
const R2 = R1 + 60;
const ALL: ListQuery = { conditions: [], sort: [], page: 1, pageSize: 100 };

/**
 * core's side of the job flow on a real Postgres: executions and tasks, the job submitted
 * to a stand-in for jobservice's HTTP API, and the status hooks posted to core's real
 * route (behind core's security and error middlewares) as jobservice posts them.
 */
describe('executions, tasks and job status hooks', () => {
  let db: TestDatabase;
  let pool: Pool;
  let fake: FakeJobservice;
  let taskStore: PgTaskStore;
  let tasks: TaskService;
  let executions: ExecutionService;
  let app: Express;
  const checkIns: { taskId: number; checkIn: string }[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('core_tasks');
    await migrate({ url: db.url, schema: 'core_tasks', dir: MIGRATIONS });
    pool = createPool({ url: db.url, schema: 'core_tasks', max: 30 });
    fake = new FakeJobservice(SECRET);
    await fake.start();
    const logger = createLogger({ service: 'core', level: 'error', format: 'json' });
    taskStore = new PgTaskStore({ pool });
    tasks = new TaskService({
      tasks: taskStore,
      jobs: new HttpJobServiceClient({ baseUrl: fake.url, secret: new Secret(SECRET), timeoutMs: 5000, backoffMs: 10 }),
      jobSpecs: new AesGcmCredentialCipher({ key: new Secret('k'.repeat(32)), purpose: 'task-job' }),
      checkIns: { REPLICATION: async (task, hook) => void checkIns.push({ taskId: task.id, checkIn: hook.check_in ?? '' }) },
      coreInternalUrl: INTERNAL_URL,
      logger,
    });
    executions = new ExecutionService({ executions: new PgExecutionStore({ pool }), tasks, logger });
    app = express();
    app.use(requestId());
    app.use(securityContext({ login: {} as LoginService, secret: new Secret(SECRET) }));
    app.use(jobHookRoutes({ tasks }));
    app.use(notFound());
    app.use(errorMiddleware({ logger, mapError: (error) => mapCoreError(error) }));
  });

  afterAll(async () => {
    await fake?.close();
    await pool?.end();
    await db?.drop();
  });

  function hook(task: Pick<Task, 'id' | 'jobId'> | { id: number; jobId: string }, status: JobHook['status'], revision: number, extra: Partial<JobHook> = {}) {
    const body = { job_id: task.jobId, status, metadata: { id: task.jobId, name: 'REPLICATION', kind: 'Generic', revision, ...extra.metadata }, ...extra };
    return request(app).post(`/service/notifications/tasks/${task.id}`).set('Authorization', `Harbor-Secret ${SECRET}`).send(body);
  }

  async function newExecution(taskCount: number, vendorType = 'REPLICATION') {
    const execution = await executions.create(vendorType, 7, 'MANUAL', { note: 'test' });
    const created: Task[] = [];
    for (let i = 0; i < taskCount; i += 1) created.push(await tasks.create(execution.id, { name: 'REPLICATION', parameters: { n: i } }, { resource_type: 'image', n: i }));
    return { execution, tasks: created };
  }

  it('inserts each task, submits its job with the task status hook, and stores the job id', async () => {
    const { execution, tasks: [first, second] } = await newExecution(2);
    expect(execution).toMatchObject({ vendorType: 'REPLICATION', vendorId: 7, trigger: 'MANUAL', status: 'Running', extraAttrs: { note: 'test' } });
    expect(first).toMatchObject({ executionId: execution.id, status: 'Pending', statusCode: 0, runCount: 0, extraAttrs: { resource_type: 'image', n: 0 } });
    expect(first!.jobId).toMatch(/^fakejob/);
    const submit = fake.calls.find((c) => c.method === 'POST' && c.path === '/api/v1/jobs' && (c.body as { job: { status_hook: string } }).job.status_hook.endsWith(`/tasks/${first!.id}`));
    expect(submit?.authorization).toBe(`Harbor-Secret ${SECRET}`);
    expect(submit?.body).toEqual({
      job: { name: 'REPLICATION', parameters: { n: 0 }, metadata: { kind: 'Generic', unique: false }, status_hook: `${INTERNAL_URL}/service/notifications/tasks/${first!.id}` },
    });
    const refreshed = await executions.get(execution.id);
    expect(refreshed.metrics).toMatchObject({ taskCount: 2, pendingTaskCount: 2 });
    const listed = await tasks.list(execution.id, { ...ALL, conditions: [{ key: 'extra_attrs.n', kind: 'exact', value: '1' }] });
    expect(listed.items.map((t) => t.id)).toEqual([second!.id]);
  });

  it('moves a task forward through its hooks and ends the execution with it', async () => {
    const { execution, tasks: [task] } = await newExecution(1);
    expect((await hook(task!, 'Pending', R1)).body).toMatchObject({ result: 'applied', status: 'Pending' });
    expect((await hook(task!, 'Running', R1)).body).toMatchObject({ result: 'applied', status: 'Running' });
    let current = await tasks.get(task!.id);
    expect(current).toMatchObject({ status: 'Running', statusCode: 2, statusRevision: R1, runCount: 1, endTime: null });
    expect(current.startTime).toBeInstanceOf(Date);
    expect((await executions.get(execution.id)).metrics).toMatchObject({ runningTaskCount: 1, pendingTaskCount: 0 });

    const response = await hook(task!, 'Success', R1);
    expect(response.status).toBe(200);
    current = await tasks.get(task!.id);
    expect(current).toMatchObject({ status: 'Success', statusCode: 3, runCount: 1 });
    expect(current.endTime).toBeInstanceOf(Date);
    const ended = await executions.get(execution.id);
    expect(ended).toMatchObject({ status: 'Success', metrics: { taskCount: 1, successTaskCount: 1, runningTaskCount: 0 } });
    expect(ended.endTime?.getTime()).toBe(current.endTime!.getTime());
  });

  it('ignores duplicates, a Running after Success and an older revision; a new revision starts a new run', async () => {
    const { execution, tasks: [task] } = await newExecution(1);
    await hook(task!, 'Running', R1);
    const before = await tasks.get(task!.id);
    const duplicate = await hook(task!, 'Running', R1);
    expect(duplicate.status).toBe(200);
    expect(duplicate.body).toMatchObject({ result: 'ignored', status: 'Running' });
    expect((await tasks.get(task!.id)).updateTime.getTime()).toBe(before.updateTime.getTime());

    await hook(task!, 'Error', R1);
    expect((await executions.get(execution.id)).status).toBe('Error');
    const late = await hook(task!, 'Running', R1);
    expect(late.status).toBe(200);
    expect(late.body).toMatchObject({ result: 'ignored', status: 'Error' });
    expect((await hook(task!, 'Pending', R1 - 60)).body).toMatchObject({ result: 'ignored' });

    // jobservice retries the job: a new revision, back to Pending.
    expect((await hook(task!, 'Pending', R2)).body).toMatchObject({ result: 'applied', status: 'Pending' });
    const retried = await tasks.get(task!.id);
    expect(retried).toMatchObject({ status: 'Pending', statusCode: 0, statusRevision: R2, runCount: 2, endTime: null });
    expect(retried.startTime!.getTime()).toBeGreaterThanOrEqual(before.startTime!.getTime());
    const running = await executions.get(execution.id);
    expect(running).toMatchObject({ status: 'Running', endTime: null, metrics: { pendingTaskCount: 1, errorTaskCount: 0 } });

    // A late hook of the first run changes nothing now.
    expect((await hook(task!, 'Success', R1)).body).toMatchObject({ result: 'ignored', status: 'Pending' });
    await hook(task!, 'Success', R2);
    expect(await tasks.get(task!.id)).toMatchObject({ status: 'Success', runCount: 2 });
    expect((await executions.get(execution.id)).status).toBe('Success');
  });

  it('answers 404 for a job no task has yet, then applies the same hook once the task exists', async () => {
    const execution = await executions.create('REPLICATION', 8, 'EVENT');
    const early = await hook({ id: 999_999, jobId: 'early-job-1' }, 'Running', R1);
    expect(early.status).toBe(404);
    expect(early.body.errors[0]).toMatchObject({ code: 'NOT_FOUND' });
    fake.nextIds.push('early-job-1');
    const task = await tasks.create(execution.id, { name: 'REPLICATION' });
    expect(task.jobId).toBe('early-job-1');
    const again = await hook(task, 'Running', R1);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ result: 'applied', task_id: task.id, status: 'Running' });
  });

  it('finds the task of a periodic run by its parent job id', async () => {
    const { tasks: [task] } = await newExecution(1);
    const response = await hook({ id: task!.id, jobId: `${task!.jobId}@${R1}` }, 'Running', R1, { metadata: { upstream_job_id: task!.jobId! } });
    expect(response.body).toMatchObject({ result: 'applied', task_id: task!.id });
  });

  it("hands a check-in to its vendor's processor without changing the status", async () => {
    const { tasks: [task] } = await newExecution(1);
    await hook(task!, 'Running', R1);
    const response = await hook(task!, 'Running', R1, { check_in: '{"copied":3}' });
    expect(response.body).toMatchObject({ result: 'checked_in', status: 'Running' });
    expect(checkIns).toContainEqual({ taskId: task!.id, checkIn: '{"copied":3}' });

    const other = await executions.create('GARBAGE_COLLECTION', -1, 'SCHEDULE');
    const gcTask = await tasks.create(other.id, { name: 'GARBAGE_COLLECTION' });
    const ignored = await hook(gcTask, 'Running', R1, { check_in: 'deleted 3 blobs' });
    expect(ignored.body).toMatchObject({ result: 'ignored', status: 'Pending' });
  });

  it('refuses a hook without the secret or with a wrong one (401) and a bad body (400)', async () => {
    const { tasks: [task] } = await newExecution(1);
    const body = { job_id: task!.jobId, status: 'Running', metadata: { revision: R1 } };
    const missing = await request(app).post(`/service/notifications/tasks/${task!.id}`).send(body);
    expect(missing.status).toBe(401);
    expect(missing.body.errors[0].code).toBe('UNAUTHORIZED');
    const wrong = await request(app).post(`/service/notifications/tasks/${task!.id}`).set('Authorization', 'Harbor-Secret not-the-suite-secret').send(body);
    expect(wrong.status).toBe(401);
    const bad = await request(app).post(`/service/notifications/tasks/${task!.id}`).set('Authorization', `Harbor-Secret ${SECRET}`).send({ job_id: task!.jobId, status: 'Finished' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].code).toBe('BAD_REQUEST');
    expect((await tasks.get(task!.id)).status).toBe('Pending');
  });

  it('derives the execution status and counts right under 50 concurrent hooks', async () => {
    const { execution, tasks: created } = await newExecution(50);
    // Every task gets its Running and its final hook at once, and each is sent twice.
    const finals = created.map((task, i) => (i < 10 ? 'Error' : i < 15 ? 'Stopped' : 'Success') as JobHook['status']);
    const sends = created.flatMap((task, i) => [hook(task, 'Running', R1), hook(task, finals[i]!, R1), hook(task, finals[i]!, R1), hook(task, 'Pending', R1)]);
    const responses = await Promise.all(sends.sort(() => Math.random() - 0.5));
    expect(responses.every((r) => r.status === 200)).toBe(true);
    const ended = await executions.get(execution.id);
    expect(ended.metrics).toEqual({
      taskCount: 50,
      successTaskCount: 35,
      errorTaskCount: 10,
      stoppedTaskCount: 5,
      pendingTaskCount: 0,
      runningTaskCount: 0,
      scheduledTaskCount: 0,
    });
    expect(ended.status).toBe('Error');
    expect(ended.endTime).toBeInstanceOf(Date);
    const listed = await tasks.list(execution.id, { ...ALL, conditions: [{ key: 'status', kind: 'exact', value: 'Success' }] });
    expect(listed.total).toBe(35);
    expect(listed.items.every((t) => t.runCount === 1)).toBe(true);
  });

  it('stops an execution: running jobs through jobservice, jobs not started at once', async () => {
    const { execution, tasks: [running, gone, done] } = await newExecution(3);
    await hook(running!, 'Running', R1);
    await hook(done!, 'Success', R1);
    fake.forget(gone!.jobId!);
    // A task whose job was never submitted (the process died between insert and submit).
    const unsubmitted = (await taskStore.create({ executionId: execution.id, extraAttrs: {} }))!;

    const afterStop = await executions.stop(execution.id);
    expect(fake.stopCalls()).toEqual(expect.arrayContaining([running!.jobId, gone!.jobId]));
    expect(fake.stopCalls()).not.toContain(done!.jobId);
    const stopCall = fake.calls.find((c) => c.path === `/api/v1/jobs/${running!.jobId}` && c.method === 'POST');
    expect(stopCall?.body).toEqual({ action: 'stop' });
    expect(await tasks.get(gone!.id)).toMatchObject({ status: 'Stopped' });
    expect(await tasks.get(unsubmitted.id)).toMatchObject({ status: 'Stopped' });
    expect(await tasks.get(running!.id)).toMatchObject({ status: 'Running' });
    expect(afterStop.status).toBe('Running');

    // jobservice reports the stopped job.
    await hook(running!, 'Stopped', R1);
    const stopped = await executions.get(execution.id);
    expect(stopped).toMatchObject({ status: 'Stopped', metrics: { taskCount: 4, stoppedTaskCount: 3, successTaskCount: 1 } });
    expect(stopped.endTime).toBeInstanceOf(Date);
  });

  it('ends a task in Error with the reason when jobservice refuses its job', async () => {
    const execution = await executions.create('REPLICATION', 9, 'MANUAL');
    const task = await tasks.create(execution.id, { name: 'REFUSED' });
    expect(task).toMatchObject({ status: 'Error', jobId: null });
    expect(task.statusMessage).toContain('REFUSED is not registered');
    expect(await executions.get(execution.id)).toMatchObject({ status: 'Error', metrics: { errorTaskCount: 1 } });
  });

  it('ends executions without tasks as their vendor says', async () => {
    const nothing = await executions.create('REPLICATION', 10, 'SCHEDULE');
    expect(await executions.markDone(nothing.id)).toMatchObject({ status: 'Success', metrics: { taskCount: 0 } });
    const failed = await executions.create('REPLICATION', 10, 'MANUAL');
    const marked = await executions.markError(failed.id, 'the source registry is unreachable');
    expect(marked).toMatchObject({ status: 'Error', statusMessage: 'the source registry is unreachable' });
    expect(marked.endTime).toBeInstanceOf(Date);
    const stopped = await executions.create('REPLICATION', 10, 'MANUAL');
    expect(await executions.stop(stopped.id)).toMatchObject({ status: 'Stopped' });
    // Stopping again changes nothing.
    expect(await executions.stop(nothing.id)).toMatchObject({ status: 'Success' });
    await expect(executions.get(123_456)).rejects.toThrow('execution 123456 not found');
  });

  it('lists a vendor policy executions newest first, a page at a time', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 3; i += 1) ids.push((await executions.create('SCAN_ALL', 77, 'MANUAL')).id);
    const page = await executions.list({ vendorType: 'SCAN_ALL', vendorId: 77 }, { ...ALL, page: 1, pageSize: 2 });
    expect(page.total).toBe(3);
    expect(page.items.map((e) => e.id)).toEqual([ids[2], ids[1]]);
    const second = await executions.list({ vendorType: 'SCAN_ALL' }, { ...ALL, page: 2, pageSize: 2 });
    expect(second.items.map((e) => e.id)).toEqual([ids[0]]);
  });

  it("reads a task's job log from jobservice", async () => {
    const { tasks: [task] } = await newExecution(1);
    await expect(tasks.getLog(task!.id)).resolves.toBe(`log of ${task!.jobId}\n`);
    fake.forget(task!.jobId!);
    await expect(tasks.getLog(task!.id)).rejects.toThrow('not available');
  });

  describe('reconciliation with jobservice', () => {
    let reconciler: TaskReconciler;
    beforeAll(() => {
      const logger = createLogger({ service: 'core', level: 'error', format: 'json' });
      const jobs = new HttpJobServiceClient({ baseUrl: fake.url, secret: new Secret(SECRET), timeoutMs: 5000, backoffMs: 10 });
      reconciler = new TaskReconciler({ tasks, jobs, logger, intervalMs: 60_000, staleAfterMs: 0, maxResubmits: 2 });
    });
    const submitsOf = (taskId: number) =>
      fake.calls.filter((c) => c.method === 'POST' && c.path === '/api/v1/jobs' && (c.body as { job: { status_hook: string } }).job.status_hook.endsWith(`/tasks/${taskId}`)).map((c) => c.body);

    it('submits a job that jobservice lost again, as first launched, once a second check confirms it is gone; the old job\'s late hooks change nothing', async () => {
      const { execution, tasks: [task] } = await newExecution(1);
      await hook(task!, 'Running', R1);
      fake.forget(task!.jobId!);
      await reconciler.run();
      expect(await tasks.get(task!.id)).toMatchObject({ jobId: task!.jobId, status: 'Running' });
      await reconciler.run();
      const resubmitted = await tasks.get(task!.id);
      expect(resubmitted.jobId).not.toBe(task!.jobId);
      expect(resubmitted).toMatchObject({ status: 'Running', jobResubmits: 1 });
      expect(resubmitted.statusMessage).toContain(`jobservice no longer knows job ${task!.jobId}`);
      const [first, again] = submitsOf(task!.id);
      expect(again).toEqual(first);
      // The lost job's late Success (its record came back from elsewhere) still finds the task.
      const late = await hook({ id: task!.id, jobId: task!.jobId! }, 'Success', R1 - 1);
      expect(late.status).toBe(200);
      expect(late.body).toMatchObject({ result: 'ignored' });
      await hook(resubmitted, 'Success', R2);
      expect((await executions.get(execution.id)).status).toBe('Success');
    });

    it('registers a lost schedule (a periodic job) again in the first round, whatever its last run did, and as often as it is lost', async () => {
      const execution = await executions.create('SCHEDULER', 11, 'MANUAL');
      const task = await tasks.create(execution.id, { name: 'SCHEDULER', parameters: { vendor_type: 'REPLICATION', vendor_id: 11 }, metadata: { kind: 'Periodic', cron_spec: '0 0 * * * *', unique: false } });
      // A run of the schedule reported Success: the task shows it, and the schedule goes on.
      await hook({ id: task.id, jobId: `${task.jobId!}@${R1}` }, 'Success', R1, { metadata: { upstream_job_id: task.jobId! } });
      expect(await tasks.get(task.id)).toMatchObject({ status: 'Success' });
      let jobId = task.jobId!;
      for (let loss = 1; loss <= 4; loss += 1) {
        fake.forget(jobId);
        await reconciler.run();
        const current = await tasks.get(task.id);
        expect(current.jobId).not.toBe(jobId);
        expect(current.jobResubmits).toBe(loss);
        expect(fake.jobs.get(current.jobId!)).toMatchObject({ kind: 'Periodic', name: 'SCHEDULER', parameters: { vendor_type: 'REPLICATION', vendor_id: 11 } });
        jobId = current.jobId!;
      }
      // Stopped (the policy no longer scheduled): no longer registered again.
      await executions.stop(execution.id);
      fake.forget(jobId);
      await reconciler.run();
      expect(await tasks.get(task.id)).toMatchObject({ jobId, status: 'Stopped' });
    });

    it('applies the status of a job whose hooks never came', async () => {
      const { execution, tasks: [task] } = await newExecution(1);
      fake.jobs.set(task!.jobId!, { ...fake.jobs.get(task!.jobId!)!, status: 'Error', revision: R2, status_message: 'adapter: cannot reach the source registry' });
      await reconciler.run();
      expect(await tasks.get(task!.id)).toMatchObject({ status: 'Error', statusRevision: R2, statusMessage: 'adapter: cannot reach the source registry' });
      expect(await executions.get(execution.id)).toMatchObject({ status: 'Error', statusMessage: '1 of 1 tasks failed: adapter: cannot reach the source registry' });
    });

    it('ends a task in Error, saying why, when its lost job was already submitted again too often, or was never kept', async () => {
      const { tasks: [task] } = await newExecution(1);
      for (let round = 0; round < 6; round += 1) {
        const current = await tasks.get(task!.id);
        if (current.jobId) fake.forget(current.jobId);
        await reconciler.run();
      }
      const ended = await tasks.get(task!.id);
      expect(ended).toMatchObject({ status: 'Error', jobResubmits: 2 });
      expect(ended.statusMessage).toMatch(/jobservice no longer knows job .*; submitted again 2 times already/);

      const execution = await executions.create('REPLICATION', 12, 'MANUAL');
      const unkept = (await taskStore.create({ executionId: execution.id, extraAttrs: {} }))!;
      await reconciler.run();
      expect(await tasks.get(unkept.id)).toMatchObject({ status: 'Error' });
      expect((await tasks.get(unkept.id)).statusMessage).toContain('was never submitted');
    });

    it('keeps a task Pending when jobservice refused the connection at creation, and submits its job once jobservice answers', async () => {
      const logger = createLogger({ service: 'core', level: 'error', format: 'json' });
      const whileDown = new TaskService({
        tasks: taskStore,
        // A port nobody listens on: the connection is refused.
        jobs: new HttpJobServiceClient({ baseUrl: `http://127.0.0.1:${await freePort()}`, secret: new Secret(SECRET), timeoutMs: 500, attempts: 1 }),
        jobSpecs: new AesGcmCredentialCipher({ key: new Secret('k'.repeat(32)), purpose: 'task-job' }),
        checkIns: {},
        coreInternalUrl: INTERNAL_URL,
        logger,
      });
      const execution = await executions.create('REPLICATION', 13, 'MANUAL');
      const task = await whileDown.create(execution.id, { name: 'REPLICATION', parameters: { n: 42 } });
      expect(task).toMatchObject({ status: 'Pending', jobId: null });
      expect(task.statusMessage).toContain('waiting for jobservice');
      await reconciler.run();
      const submitted = await tasks.get(task.id);
      expect(submitted.jobId).toMatch(/^fakejob/);
      expect(submitsOf(task.id)).toEqual([{ job: { name: 'REPLICATION', parameters: { n: 42 }, metadata: { kind: 'Generic', unique: false }, status_hook: `${INTERNAL_URL}/service/notifications/tasks/${task.id}` } }]);
    });

    it('leaves a task alone while jobservice cannot be reached', async () => {
      const { tasks: [task] } = await newExecution(1);
      const logger = createLogger({ service: 'core', level: 'error', format: 'json' });
      const unreachable = new TaskReconciler({
        tasks,
        jobs: new HttpJobServiceClient({ baseUrl: 'http://127.0.0.1:1', secret: new Secret(SECRET), timeoutMs: 500, attempts: 1 }),
        logger,
        intervalMs: 60_000,
        staleAfterMs: 0,
        maxResubmits: 2,
      });
      for (let round = 0; round < 3; round += 1) await unreachable.run();
      expect(await tasks.get(task!.id)).toMatchObject({ status: 'Pending', jobId: task!.jobId, jobResubmits: 0 });
    });
  });

  it('keeps the reason a job gives with its status, and the execution says how many tasks failed and why', async () => {
    const { execution, tasks: [failing, fine] } = await newExecution(2);
    await hook(failing!, 'Running', R1, { metadata: { status_message: 'retrying: cannot reach http://adapter: ECONNREFUSED' } });
    expect((await tasks.get(failing!.id)).statusMessage).toBe('retrying: cannot reach http://adapter: ECONNREFUSED');
    await hook(failing!, 'Error', R1, { metadata: { status_message: 'cannot reach http://adapter: ECONNREFUSED' } });
    await hook(fine!, 'Success', R1);
    expect(await executions.get(execution.id)).toMatchObject({ status: 'Error', statusMessage: '1 of 2 tasks failed: cannot reach http://adapter: ECONNREFUSED' });
  });
});
