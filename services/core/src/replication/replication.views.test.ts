import { describe, expect, it } from 'vitest';
import type { Execution, Task } from '../tasks/tasks.schemas.js';
import { executionStatusCondition, executionView, taskStatusCondition, taskView, triggerCondition } from './replication.views.js';

const execution: Execution = {
  id: 5,
  vendorType: 'REPLICATION',
  vendorId: 3,
  status: 'Running',
  statusMessage: '',
  trigger: 'SCHEDULE',
  extraAttrs: {},
  metrics: { taskCount: 6, successTaskCount: 1, errorTaskCount: 1, pendingTaskCount: 1, runningTaskCount: 1, scheduledTaskCount: 1, stoppedTaskCount: 1 },
  startTime: new Date('2024-01-01T00:00:00Z'),
  endTime: null,
  updateTime: new Date('2024-01-01T00:00:00Z'),
};

const task = (overrides: Partial<Task>): Task => ({
  id: 9,
  executionId: 5,
  vendorType: 'REPLICATION',
  jobId: 'j1',
  status: 'Running',
  statusCode: 2,
  statusRevision: 1,
  statusMessage: '',
  runCount: 1,
  jobPeriodic: false,
  jobResubmits: 0,
  extraAttrs: { operation: 'copy', resource_type: 'image', source_resource: 'a/b:[1]', destination_resource: 'm/b:[1]' },
  creationTime: new Date('2024-01-01T00:00:00Z'),
  updateTime: new Date('2024-01-01T00:00:00Z'),
  startTime: new Date('2024-01-01T00:00:00Z'),
  endTime: null,
  ...overrides,
});

describe("replication's views of executions and tasks", () => {
  it("shows an execution as Harbor's ReplicationExecution", () => {
    expect(executionView(execution)).toEqual({
      id: 5,
      policy_id: 3,
      status: 'InProgress',
      trigger: 'scheduled',
      start_time: '2024-01-01T00:00:00.000Z',
      end_time: null,
      status_text: '',
      total: 6,
      failed: 1,
      succeed: 1,
      in_progress: 3,
      stopped: 1,
    });
    expect(executionView({ ...execution, status: 'Success', trigger: 'EVENT' })).toMatchObject({ status: 'Succeed', trigger: 'event_based' });
    expect(executionView({ ...execution, status: 'Error', trigger: 'MANUAL' })).toMatchObject({ status: 'Failed', trigger: 'manual' });
  });

  it('maps task statuses as Harbor does', () => {
    const statuses = (['Pending', 'Scheduled', 'Running', 'Success', 'Error', 'Stopped'] as const).map((status) => taskView(task({ status })).status);
    expect(statuses).toEqual(['Pending', 'Pending', 'InProgress', 'Succeed', 'Failed', 'Stopped']);
  });

  it("turns either dialect of a filter into the framework's statuses", () => {
    expect(executionStatusCondition('InProgress')).toEqual({ key: 'status', kind: 'or', values: ['Running'] });
    expect(executionStatusCondition('Failed')).toEqual({ key: 'status', kind: 'or', values: ['Error'] });
    expect(taskStatusCondition('Pending')).toEqual({ key: 'status', kind: 'or', values: ['Pending', 'Scheduled'] });
    expect(triggerCondition('event_based')).toEqual({ key: 'trigger', kind: 'or', values: ['EVENT'] });
    expect(triggerCondition('MANUAL')).toEqual({ key: 'trigger', kind: 'or', values: ['MANUAL'] });
  });

  it('adds the progress of a copy and its time left at the rate so far', () => {
    const running = taskView(task({ extraAttrs: { bytes_copied: 250, bytes_total: 1000, progress_at: '2024-01-01T00:00:10.000Z' } }));
    expect(running).toMatchObject({ bytes_copied: 250, bytes_total: 1000, eta_seconds: 30 });
    expect(taskView(task({}))).toMatchObject({ bytes_copied: null, bytes_total: null, eta_seconds: null });
    expect(taskView(task({ status: 'Success', statusCode: 3 }))).toMatchObject({ eta_seconds: 0 });
  });
});
