import type { Condition } from '../listing/list-query.js';
import type { Execution, ExecutionStatus, ExecutionTrigger, Task, TaskStatus } from '../tasks/tasks.schemas.js';

/** The execution statuses in replication's dialect (Harbor's replication handler). */
export const EXECUTION_STATUS_VIEW: Readonly<Record<ExecutionStatus, string>> = { Running: 'InProgress', Success: 'Succeed', Error: 'Failed', Stopped: 'Stopped' };
export const TASK_STATUS_VIEW: Readonly<Record<TaskStatus, string>> = {
  Pending: 'Pending',
  Scheduled: 'Pending',
  Running: 'InProgress',
  Success: 'Succeed',
  Error: 'Failed',
  Stopped: 'Stopped',
};
export const TRIGGER_VIEW: Readonly<Record<ExecutionTrigger, string>> = { MANUAL: 'manual', SCHEDULE: 'scheduled', EVENT: 'event_based' };

/** The generic statuses a replication status filter stands for (either dialect is accepted). */
function statusesFor(view: Readonly<Record<string, string>>, value: string): string[] {
  const matching = Object.entries(view).filter(([generic, shown]) => shown.toLowerCase() === value.toLowerCase() || generic.toLowerCase() === value.toLowerCase());
  return matching.length > 0 ? matching.map(([generic]) => generic) : [value];
}

export function executionStatusCondition(value: string): Condition {
  return { key: 'status', kind: 'or', values: statusesFor(EXECUTION_STATUS_VIEW, value) };
}

export function taskStatusCondition(value: string): Condition {
  return { key: 'status', kind: 'or', values: statusesFor(TASK_STATUS_VIEW, value) };
}

export function triggerCondition(value: string): Condition {
  return { key: 'trigger', kind: 'or', values: statusesFor(TRIGGER_VIEW, value) };
}

const time = (date: Date | null) => (date ? date.toISOString() : null);

/** Harbor's ReplicationExecution. */
export function executionView(execution: Execution) {
  const m = execution.metrics;
  return {
    id: execution.id,
    policy_id: execution.vendorId,
    status: EXECUTION_STATUS_VIEW[execution.status],
    trigger: TRIGGER_VIEW[execution.trigger],
    start_time: time(execution.startTime),
    end_time: time(execution.endTime),
    status_text: execution.statusMessage,
    total: m.taskCount,
    failed: m.errorTaskCount,
    succeed: m.successTaskCount,
    in_progress: m.pendingTaskCount + m.runningTaskCount + m.scheduledTaskCount,
    stopped: m.stoppedTaskCount,
  };
}

const num = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : null);

/**
 * The copy's progress from the job's last check-in: bytes so far, bytes in all, and the
 * seconds left at the rate since the task started (null while unknown).
 */
export function progressOf(task: Task): { bytes_copied: number | null; bytes_total: number | null; eta_seconds: number | null } {
  const copied = num(task.extraAttrs.bytes_copied);
  const total = num(task.extraAttrs.bytes_total);
  let eta: number | null = null;
  if (task.statusCode >= 3) eta = task.status === 'Success' ? 0 : null;
  else if (copied !== null && total !== null && task.startTime) {
    const at = typeof task.extraAttrs.progress_at === 'string' ? Date.parse(task.extraAttrs.progress_at) : Number.NaN;
    const elapsed = (at - task.startTime.getTime()) / 1000;
    if (copied >= total) eta = 0;
    else if (copied > 0 && elapsed > 0) eta = Math.ceil((total - copied) / (copied / elapsed));
  }
  return { bytes_copied: copied, bytes_total: total, eta_seconds: eta };
}

const text = (value: unknown) => (typeof value === 'string' ? value : '');

/** Harbor's ReplicationTask, plus its status text and the copy's progress (bytes_copied, bytes_total, eta_seconds). */
export function taskView(task: Task) {
  return {
    id: task.id,
    execution_id: task.executionId,
    status: TASK_STATUS_VIEW[task.status],
    job_id: task.jobId ?? '',
    operation: text(task.extraAttrs.operation),
    resource_type: text(task.extraAttrs.resource_type),
    src_resource: text(task.extraAttrs.source_resource),
    dst_resource: text(task.extraAttrs.destination_resource),
    start_time: time(task.startTime),
    end_time: time(task.endTime),
    // Why the task failed (or was resubmitted); '' otherwise.
    status_text: task.statusMessage,
    ...progressOf(task),
  };
}
