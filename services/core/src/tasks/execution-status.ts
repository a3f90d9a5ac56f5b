import type { ExecutionMetrics, ExecutionStatus } from './tasks.schemas.js';

/**
 * An execution's status from its tasks (Harbor's `refreshStatus`): any task Pending,
 * Running or Scheduled keeps it Running; once all are final, any Error makes it Error,
 * else any Stopped makes it Stopped, else it is a Success. An execution without tasks keeps
 * the status its vendor gave it (undefined here).
 */
export function deriveExecutionStatus(metrics: ExecutionMetrics): ExecutionStatus | undefined {
  if (metrics.taskCount === 0) return undefined;
  if (metrics.pendingTaskCount + metrics.runningTaskCount + metrics.scheduledTaskCount > 0) return 'Running';
  if (metrics.errorTaskCount > 0) return 'Error';
  if (metrics.stoppedTaskCount > 0) return 'Stopped';
  return 'Success';
}

export function isFinalExecutionStatus(status: ExecutionStatus): boolean {
  return status !== 'Running';
}
