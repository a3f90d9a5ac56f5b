import { describe, expect, it } from 'vitest';
import { deriveExecutionStatus } from './execution-status.js';
import type { ExecutionMetrics } from './tasks.schemas.js';

function metrics(counts: Partial<Omit<ExecutionMetrics, 'taskCount'>>): ExecutionMetrics {
  const full = { successTaskCount: 0, errorTaskCount: 0, pendingTaskCount: 0, runningTaskCount: 0, scheduledTaskCount: 0, stoppedTaskCount: 0, ...counts };
  return { ...full, taskCount: Object.values(full).reduce((a, b) => a + b, 0) };
}

describe('execution status derived from its tasks', () => {
  it('keeps the vendor-given status of an execution without tasks', () => {
    expect(deriveExecutionStatus(metrics({}))).toBeUndefined();
  });

  it('is Running while any task is Pending, Running or Scheduled, whatever the others', () => {
    expect(deriveExecutionStatus(metrics({ pendingTaskCount: 1, errorTaskCount: 5 }))).toBe('Running');
    expect(deriveExecutionStatus(metrics({ runningTaskCount: 1, stoppedTaskCount: 2 }))).toBe('Running');
    expect(deriveExecutionStatus(metrics({ scheduledTaskCount: 1, successTaskCount: 9 }))).toBe('Running');
  });

  it('is Error once all are final and any failed, even when others were stopped', () => {
    expect(deriveExecutionStatus(metrics({ errorTaskCount: 1, stoppedTaskCount: 3, successTaskCount: 3 }))).toBe('Error');
  });

  it('is Stopped when all are final, none failed and any was stopped', () => {
    expect(deriveExecutionStatus(metrics({ stoppedTaskCount: 1, successTaskCount: 3 }))).toBe('Stopped');
  });

  it('is Success when every task succeeded', () => {
    expect(deriveExecutionStatus(metrics({ successTaskCount: 4 }))).toBe('Success');
  });
});
