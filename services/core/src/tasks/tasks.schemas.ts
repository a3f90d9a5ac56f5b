import { JOB_STATUSES, JobMetadataV1, JobStatusHookV1, type JobStatus } from '@wharf/contracts';
import { z } from 'zod';

/**
 * A task's status is its job's status, as jobservice reports it (Harbor keeps the same
 * strings: `Pending, Scheduled, Running, Stopped, Error, Success`). Views that speak
 * another dialect (replication's "Succeed", "InProgress") translate in their own routes.
 */
export const TASK_STATUSES = JOB_STATUSES;
export type TaskStatus = JobStatus;

/** An execution is Running until every task is final, then Error, Stopped or Success. */
export const EXECUTION_STATUSES = ['Running', 'Success', 'Error', 'Stopped'] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];

/** How an execution was started (Harbor's `trigger`). */
export const EXECUTION_TRIGGERS = ['MANUAL', 'SCHEDULE', 'EVENT'] as const;
export type ExecutionTrigger = (typeof EXECUTION_TRIGGERS)[number];

export type ExtraAttrs = Record<string, unknown>;

/** Harbor's execution metrics: the execution's tasks counted by status. */
export interface ExecutionMetrics {
  taskCount: number;
  successTaskCount: number;
  errorTaskCount: number;
  pendingTaskCount: number;
  runningTaskCount: number;
  scheduledTaskCount: number;
  stoppedTaskCount: number;
}

export interface Execution {
  id: number;
  vendorType: string;
  /** The vendor's id (a policy id); -1 when it has none. */
  vendorId: number;
  status: ExecutionStatus;
  statusMessage: string;
  trigger: ExecutionTrigger;
  extraAttrs: ExtraAttrs;
  metrics: ExecutionMetrics;
  startTime: Date;
  endTime: Date | null;
  updateTime: Date;
}

export interface Task {
  id: number;
  executionId: number;
  vendorType: string;
  /** jobservice's job id; null until jobservice accepted the job (or when it refused it). */
  jobId: string | null;
  status: TaskStatus;
  statusCode: number;
  /** The run the status belongs to (jobservice's revision); 0 before the first hook. */
  statusRevision: number;
  statusMessage: string;
  runCount: number;
  extraAttrs: ExtraAttrs;
  /** The job is a periodic one (a schedule), checked on every reconciliation round. */
  jobPeriodic: boolean;
  /** How often core submitted the job again because jobservice had lost it. */
  jobResubmits: number;
  creationTime: Date;
  updateTime: Date;
  startTime: Date | null;
  endTime: Date | null;
}

/** The job a task runs: jobservice's launch request without the status hook, which core sets. */
export const taskJobSchema = z.object({
  name: z.string().min(1),
  parameters: z.record(z.string(), z.unknown()).default({}),
  metadata: JobMetadataV1.default({ kind: 'Generic', unique: false }),
});
export type TaskJob = z.input<typeof taskJobSchema>;

export const executionInputSchema = z.object({
  vendorType: z.string().min(1).max(64),
  vendorId: z.number().int().default(-1),
  trigger: z.enum(EXECUTION_TRIGGERS),
  extraAttrs: z.record(z.string(), z.unknown()).default({}),
});

/** The status hook jobservice posts to `/service/notifications/tasks/{taskId}`. */
export const jobHookSchema = JobStatusHookV1;
export type JobHook = z.output<typeof jobHookSchema>;

/**
 * The job id a hook's task is stored under: the periodic parent's id for the runs of a
 * periodic job (their ids are `<parent>@<unix time>`), otherwise the hook's own job id.
 */
export function hookJobId(hook: JobHook): string {
  const upstream = hook.metadata?.upstream_job_id;
  return upstream && upstream.length > 0 ? upstream : hook.job_id;
}

/** The run a hook belongs to; hooks without metadata count as run 0. */
export function hookRevision(hook: JobHook): number {
  return hook.metadata?.revision ?? 0;
}
