import { beforeEach, describe, expect, it } from 'vitest';
import { listQuery } from '../testing/fakes/list.js';
import { createTestCore, type TestCore } from '../testing/fakes/test-core.js';
import { ExecutionNotFoundError, TaskOfJobNotFoundError } from './task.errors.js';
import type { JobHook } from './tasks.schemas.js';

const hook = (jobId: string, status: JobHook['status'], revision = 1, message?: string): JobHook =>
  ({ job_id: jobId, status, metadata: { revision, ...(message ? { status_message: message } : {}) } });

describe('executions and tasks', () => {
  let core: TestCore;
  beforeEach(() => {
    core = createTestCore();
  });

  const job = { name: 'REPLICATION', parameters: { src: 'a' } };

  it('submits a task’s job with its status hook, and the execution follows its tasks to Success', async () => {
    const execution = await core.executions.create('REPLICATION', 7, 'MANUAL');
    const [a, b] = [await core.tasks.create(execution.id, job), await core.tasks.create(execution.id, job)];
    expect(a.jobId).toBe('job-1');
    expect(core.jobs.jobs.get('job-1')?.launch).toMatchObject({ name: 'REPLICATION', status_hook: `http://core.test/service/notifications/tasks/${a.id}` });
    expect((await core.executions.get(execution.id)).metrics).toMatchObject({ taskCount: 2, pendingTaskCount: 2 });

    await core.tasks.applyHook(hook(a.jobId!, 'Running'));
    await core.tasks.applyHook(hook(a.jobId!, 'Success'));
    expect((await core.executions.get(execution.id)).status).toBe('Running');
    await core.tasks.applyHook(hook(b.jobId!, 'Success'));
    expect(await core.executions.get(execution.id)).toMatchObject({ status: 'Success', metrics: { successTaskCount: 2 } });
  });

  it('ignores a late or duplicate hook, and takes a later run', async () => {
    const execution = await core.executions.create('REPLICATION', 7, 'MANUAL');
    const task = await core.tasks.create(execution.id, job);
    await core.tasks.applyHook(hook(task.jobId!, 'Success'));
    expect(await core.tasks.applyHook(hook(task.jobId!, 'Running'))).toMatchObject({ result: 'ignored', status: 'Success' });
    expect(await core.tasks.applyHook(hook(task.jobId!, 'Success'))).toMatchObject({ result: 'ignored' });
    expect(await core.tasks.applyHook(hook(task.jobId!, 'Running', 2))).toMatchObject({ result: 'applied', status: 'Running' });
    expect(await core.tasks.get(task.id)).toMatchObject({ status: 'Running', statusRevision: 2, runCount: 2 });
    await expect(core.tasks.applyHook(hook('job-unknown', 'Running'))).rejects.toBeInstanceOf(TaskOfJobNotFoundError);
  });

  it('ends an execution in Error with the first failure’s reason', async () => {
    const execution = await core.executions.create('REPLICATION', 7, 'MANUAL');
    const [a, b] = [await core.tasks.create(execution.id, job), await core.tasks.create(execution.id, job)];
    await core.tasks.applyHook(hook(a.jobId!, 'Error', 1, 'manifest unknown'));
    await core.tasks.applyHook(hook(b.jobId!, 'Success'));
    expect(await core.executions.get(execution.id)).toMatchObject({ status: 'Error', statusMessage: '1 of 2 tasks failed: manifest unknown' });
  });

  it('ends a task in Error when jobservice refuses its job', async () => {
    const execution = await core.executions.create('REPLICATION', 7, 'MANUAL');
    core.jobs.failure = new Error('unknown job name');
    const task = await core.tasks.create(execution.id, job);
    expect(task).toMatchObject({ status: 'Error', jobId: null });
    expect(task.statusMessage).toMatch(/unknown job name/);
    expect((await core.executions.get(execution.id)).status).toBe('Error');
  });

  it('stops an execution: its jobs are stopped, and it is Stopped once jobservice confirms', async () => {
    const execution = await core.executions.create('REPLICATION', 7, 'MANUAL');
    const [a, b] = [await core.tasks.create(execution.id, job), await core.tasks.create(execution.id, job)];
    await core.tasks.applyHook(hook(a.jobId!, 'Success'));
    core.jobs.forget(b.jobId!);
    const stopped = await core.executions.stop(execution.id);
    // The finished task is left alone; the one jobservice no longer knows ends Stopped here.
    expect(core.jobs.stopped).toEqual([b.jobId]);
    expect(stopped).toMatchObject({ status: 'Stopped', metrics: { successTaskCount: 1, stoppedTaskCount: 1 } });
  });

  it('ends an execution without tasks by its vendor, and stops one without tasks at once', async () => {
    const done = await core.executions.create('REPLICATION', 7, 'MANUAL');
    expect(await core.executions.markDone(done.id, 'nothing to replicate')).toMatchObject({ status: 'Success', statusMessage: 'nothing to replicate' });
    const idle = await core.executions.create('REPLICATION', 7, 'MANUAL');
    expect((await core.executions.stop(idle.id)).status).toBe('Stopped');
    await expect(core.executions.markError(999, 'x')).rejects.toBeInstanceOf(ExecutionNotFoundError);
  });

  it('lists a vendor’s executions newest first, by policy, status and page', async () => {
    const ids: number[] = [];
    for (const vendorId of [1, 1, 2]) ids.push((await core.executions.create('REPLICATION', vendorId, 'MANUAL')).id);
    await core.executions.create('GARBAGE_COLLECTION', -1, 'MANUAL');
    await core.executions.markDone(ids[0]!);
    const list = async (filter: { vendorType: string; vendorId?: number }, query = listQuery()) => (await core.executions.list(filter, query)).items.map((e) => e.id);
    expect(await list({ vendorType: 'REPLICATION' })).toEqual([ids[2], ids[1], ids[0]]);
    expect(await list({ vendorType: 'REPLICATION', vendorId: 1 })).toEqual([ids[1], ids[0]]);
    expect(await list({ vendorType: 'REPLICATION' }, listQuery({ conditions: [{ key: 'status', kind: 'exact', value: 'Success' }] }))).toEqual([ids[0]]);
    expect(await list({ vendorType: 'REPLICATION' }, listQuery({ page: 2, pageSize: 2 }))).toEqual([ids[0]]);
  });

  it('lists an execution’s tasks by their vendor attributes', async () => {
    const execution = await core.executions.create('REPLICATION', 7, 'MANUAL');
    await core.tasks.create(execution.id, job, { resource_type: 'image', operation: 'copy' });
    const deletion = await core.tasks.create(execution.id, job, { resource_type: 'image', operation: 'deletion' });
    const page = await core.tasks.list(execution.id, listQuery({ conditions: [{ key: 'extra_attrs.operation', kind: 'exact', value: 'deletion' }] }));
    expect(page.items.map((t) => t.id)).toEqual([deletion.id]);
    await core.tasks.mergeExtraAttrs(deletion.id, { progress: 50 });
    expect((await core.tasks.get(deletion.id)).extraAttrs).toEqual({ resource_type: 'image', operation: 'deletion', progress: 50 });
  });
});
