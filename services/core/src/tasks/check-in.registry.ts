import type { Logger } from '@wharf/logging';
import type { JobHook, Task } from './tasks.schemas.js';

/**
 * What a vendor does with a check-in: the free text (often JSON) a running job sends to
 * report progress or results (Harbor's `CheckInProcessor`: GC's numbers, retention's
 * counts, a scheduler's "fire now"). A check-in never changes the task's status.
 */
export type CheckInProcessor = (task: Task, hook: JobHook) => Promise<void>;

/** vendor_type → processor. An explicit map built in main.ts; nothing registers itself on import. */
export type CheckInProcessors = Readonly<Record<string, CheckInProcessor>>;

/** What a vendor does after a status hook of one of its tasks (Harbor's status-change post function). */
export type StatusListener = (task: Task, hook: JobHook) => Promise<void>;
export type StatusListeners = Readonly<Record<string, StatusListener>>;

/** Replication's side of the hooks (implemented by ReplicationService, built after TaskService). */
export interface ReplicationHookHandlers {
  /** A REPLICATION job's progress check-in (`{"bytes": N, "total": M}`). */
  progress(task: Task, hook: JobHook): Promise<void>;
  /** A SCHEDULER task's periodic job fired (a check-in, or the Running hook of a run). */
  scheduleFired(task: Task, hook: JobHook): Promise<void>;
}

/**
 * The processors core knows: REPLICATION (progress) and SCHEDULER (a schedule fired). A
 * vendor without one has its check-ins logged and acknowledged, since sending them again
 * would not help.
 */
export function createCheckInProcessors(deps: { logger: Logger; replication?: ReplicationHookHandlers }): CheckInProcessors {
  const { replication } = deps;
  if (!replication) return {};
  return {
    REPLICATION: (task, hook) => replication.progress(task, hook),
    SCHEDULER: (task, hook) => replication.scheduleFired(task, hook),
  };
}

/** The status listeners core knows: SCHEDULER starts a run when a periodic run begins (`<id>@<time>` Running). */
export function createStatusListeners(deps: { replication: ReplicationHookHandlers }): StatusListeners {
  return {
    SCHEDULER: async (task, hook) => {
      if (hook.status !== 'Running') return;
      if (!hook.job_id.includes('@') && !hook.metadata?.upstream_job_id) return;
      await deps.replication.scheduleFired(task, hook);
    },
  };
}
