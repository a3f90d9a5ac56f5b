import { jobStatusCode } from '@wharf/contracts';
import { ApiError } from '@wharf/errors';
import { isConnectionRefused } from '@wharf/http-client';
import type { Logger } from '@wharf/logging';
import type { JobServiceClient } from '../jobs/jobservice.client.js';
import type { ListQuery } from '../listing/list-query.js';
import type { CheckInProcessors, StatusListeners } from './check-in.registry.js';
import { ExecutionNotFoundError, TaskLogNotFoundError, TaskNotFoundError, TaskOfJobNotFoundError } from './task.errors.js';
import type { TaskStore, TaskToCheck } from './task.store.js';
import { hookJobId, hookRevision, taskJobSchema, type ExtraAttrs, type JobHook, type Task, type TaskJob, type TaskStatus } from './tasks.schemas.js';

export interface TaskServiceDeps {
  tasks: TaskStore;
  jobs: JobServiceClient;
  /** Seals the job kept with each task (parameters may carry credentials), to submit it again if jobservice loses it. */
  jobSpecs: JobSpecCipher;
  checkIns: CheckInProcessors;
  /**
   * vendor_type → what the vendor does after each status hook of its tasks, applied or not
   * (Harbor's status-change post functions; the scheduler starts a run when a periodic
   * job's run begins). A failure answers the hook with an error so jobservice sends it again.
   */
  statusListeners?: StatusListeners;
  /** How jobservice reaches core: the base of every task's status hook URL. */
  coreInternalUrl: string;
  logger: Logger;
}

/** What a status hook did: `applied`, `ignored` (a duplicate, a late hook, a check-in nobody processes) or `checked_in`. */
/** jobservice could not be reached and the submit surely never arrived (the connection was refused). */
function notSubmitted(error: unknown): boolean {
  return error instanceof ApiError && error.code === 'UNAVAILABLE' && isConnectionRefused(error.cause);
}

/** Encrypts the jobs kept with tasks (CORE_ENCRYPTION_KEY). */
export interface JobSpecCipher {
  encrypt(plaintext: string): string;
  decrypt(sealed: string): string;
}

export interface HookOutcome {
  result: 'applied' | 'ignored' | 'checked_in';
  taskId: number;
  /** The task's status after the hook. */
  status: TaskStatus;
  reason?: string;
}

/**
 * Tasks (Harbor's `task.Manager`): one job in jobservice each. A task row is inserted
 * first, then its job is submitted with the task's status hook, then the job id is stored;
 * the job's hooks then move the task forward (never backward) and refresh its execution.
 */
export class TaskService {
  readonly #deps: TaskServiceDeps;

  constructor(deps: TaskServiceDeps) {
    this.#deps = { ...deps, coreInternalUrl: deps.coreInternalUrl.replace(/\/+$/, '') };
  }

  /** The URL jobservice posts the task's status changes to. */
  statusHookUrl(taskId: number): string {
    return `${this.#deps.coreInternalUrl}/service/notifications/tasks/${taskId}`;
  }

  /**
   * Creates a task of the execution and submits its job. When jobservice refuses the job
   * or cannot be reached, the task is returned ended in Error with the reason in its
   * status message (and the execution refreshed), so one refused job does not stop a
   * vendor from creating the others.
   */
  async create(executionId: number, job: TaskJob, extraAttrs: ExtraAttrs = {}): Promise<Task> {
    const spec = taskJobSchema.parse(job);
    const task = await this.#deps.tasks.create({
      executionId,
      extraAttrs,
      jobSpecSealed: this.#deps.jobSpecs.encrypt(JSON.stringify(spec)),
      jobPeriodic: spec.metadata.kind === 'Periodic',
    });
    if (!task) throw new ExecutionNotFoundError(executionId);
    let jobId: string;
    try {
      jobId = (await this.#deps.jobs.submit({ ...spec, status_hook: this.statusHookUrl(task.id) })).id;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (notSubmitted(error)) {
        // jobservice is down and nothing reached it: the task waits, Pending, and the
        // reconciler submits its kept job once jobservice answers again.
        this.#deps.logger.warn('job submission deferred, jobservice unreachable', { taskId: task.id, executionId, job: spec.name, err: error });
        await this.#deps.tasks.noteStatusMessage(task.id, `waiting for jobservice: ${reason}`);
        return (await this.#deps.tasks.findById(task.id)) ?? task;
      }
      this.#deps.logger.warn('job submission failed', { taskId: task.id, executionId, job: spec.name, err: error });
      return (await this.#deps.tasks.markFinal(task, 'Error', `failed to submit the job: ${reason}`)) ?? task;
    }
    await this.#deps.tasks.setJobId(task.id, jobId);
    const current = (await this.#deps.tasks.findById(task.id)) ?? { ...task, jobId };
    // Stopped while its job was being submitted: the job must not run.
    if (current.status === 'Stopped') await this.#stopJob(current, jobId);
    return current;
  }

  async get(id: number): Promise<Task> {
    const task = await this.#deps.tasks.findById(id);
    if (!task) throw new TaskNotFoundError(id);
    return task;
  }

  /** One page of the execution's tasks; `q`/`sort` keys: id, status, job_id, run_count, times, `extra_attrs.<key>`. */
  async list(executionId: number, query: ListQuery): Promise<{ items: Task[]; total: number }> {
    return this.#deps.tasks.list(executionId, query);
  }

  /** Adds or replaces some of the task's extra attributes (a vendor's progress figures). */
  async mergeExtraAttrs(id: number, attrs: ExtraAttrs): Promise<void> {
    await this.#deps.tasks.mergeExtraAttrs(id, attrs);
  }

  /** The execution's tasks whose job still runs or waits (not final, or a schedule not stopped). */
  async listUnfinished(executionId: number): Promise<Task[]> {
    return this.#deps.tasks.listUnfinished(executionId);
  }

  /**
   * Stops the task's job (Harbor's `task.Manager.Stop`). A final task is left as it is. A
   * task whose job was never submitted, or that jobservice no longer knows, ends Stopped
   * here; otherwise jobservice stops the job and its Stopped hook ends the task.
   */
  async stop(id: number): Promise<Task> {
    const task = await this.get(id);
    const schedule = task.jobPeriodic && task.status !== 'Stopped';
    if (task.statusCode >= 3 && !schedule) return task;
    if (!task.jobId) return (await this.#deps.tasks.markFinal(task, 'Stopped', '')) ?? this.get(id);
    await this.#stopJob(task, task.jobId);
    // A schedule's task shows its last run; stopped, it ends here, so it is never registered again.
    if (schedule) await this.#deps.tasks.markFinal(task, 'Stopped', '');
    return this.get(id);
  }

  /** The task's job log, from jobservice. */
  async getLog(id: number): Promise<string> {
    const task = await this.get(id);
    if (!task.jobId) throw new TaskLogNotFoundError(id);
    const log = await this.#deps.jobs.log(task.jobId);
    if (log === undefined) throw new TaskLogNotFoundError(id);
    return log;
  }

  /**
   * Applies one of jobservice's status hooks (Harbor's `HookHandler.Handle`). The task is
   * found by the hook's job id (a periodic run's by its parent's id); none yet is
   * TaskOfJobNotFoundError, answered 404 so that jobservice sends the hook again. A
   * check-in goes to the vendor's processor and leaves the status alone. A status is
   * applied only when it moves the task forward; a duplicate or late one is ignored.
   */
  async applyHook(hook: JobHook): Promise<HookOutcome> {
    const jobId = hookJobId(hook);
    const task = await this.#deps.tasks.findByJobId(jobId);
    if (!task) throw new TaskOfJobNotFoundError(jobId);

    if (hook.check_in) {
      const processor = this.#deps.checkIns[task.vendorType];
      if (!processor) {
        this.#deps.logger.debug('check-in without a processor ignored', { taskId: task.id, vendorType: task.vendorType, jobId });
        return { result: 'ignored', taskId: task.id, status: task.status, reason: `no check-in processor for ${task.vendorType}` };
      }
      await processor(task, hook);
      return { result: 'checked_in', taskId: task.id, status: task.status };
    }

    const change = { status: hook.status, code: jobStatusCode(hook.status), revision: hookRevision(hook), message: hook.metadata?.status_message ?? '' };
    const { applied, task: updated } = await this.#deps.tasks.applyStatus(task, change);
    const listener = this.#deps.statusListeners?.[task.vendorType];
    if (listener) await listener(updated ?? task, hook);
    if (!applied) {
      const current = (await this.#deps.tasks.findById(task.id)) ?? task;
      this.#deps.logger.debug('task status hook ignored', { taskId: task.id, jobId, status: hook.status, revision: change.revision, current: current.status });
      return { result: 'ignored', taskId: task.id, status: current.status, reason: `the task is at ${current.status} of revision ${current.statusRevision}` };
    }
    this.#deps.logger.info('task status changed', { taskId: task.id, executionId: task.executionId, jobId, status: hook.status, revision: change.revision });
    return { result: 'applied', taskId: task.id, status: updated?.status ?? hook.status };
  }

  /** Claims the tasks due for a check of their job (see TaskReconciler). */
  async claimForCheck(options: { staleAfterMs: number; periodicEveryMs: number; limit: number }): Promise<TaskToCheck[]> {
    return this.#deps.tasks.claimForCheck(options);
  }

  async markJobMissing(task: Task): Promise<void> {
    await this.#deps.tasks.markJobMissing(task.id, task.jobId);
  }

  async clearJobMissing(task: Task): Promise<void> {
    await this.#deps.tasks.clearJobMissing(task.id);
  }

  /**
   * Submits the task's job again, as first launched, with the same status hook (jobservice
   * lost it). The new job id replaces the old one; hooks of the old job still find the task
   * and, being of an older run, change nothing. False when there is nothing to resubmit or
   * the task moved on meanwhile.
   */
  async resubmit(check: TaskToCheck, reason: string): Promise<boolean> {
    const { task } = check;
    if (!check.jobSpecSealed) return false;
    const spec = taskJobSchema.parse(JSON.parse(this.#deps.jobSpecs.decrypt(check.jobSpecSealed)));
    const stats = await this.#deps.jobs.submit({ ...spec, status_hook: this.statusHookUrl(task.id) });
    const replaced = await this.#deps.tasks.replaceJob(task.id, task.jobId, stats.id, `resubmitted as job ${stats.id}: ${reason}`);
    if (!replaced) {
      // The task ended or got another job meanwhile: the new job must not run.
      await this.#deps.jobs.stop(stats.id).catch(() => undefined);
      return false;
    }
    this.#deps.logger.warn('task job resubmitted', { taskId: task.id, executionId: task.executionId, previousJobId: task.jobId, jobId: stats.id, reason });
    return true;
  }

  /** Ends a task in Error with the reason (a job jobservice lost and core cannot submit again); a schedule's task is no longer checked. */
  async fail(task: Task, reason: string): Promise<void> {
    await this.#deps.tasks.retire(task.id, task.executionId, reason);
    this.#deps.logger.warn('task ended with its job lost', { taskId: task.id, executionId: task.executionId, jobId: task.jobId, reason });
  }

  async #stopJob(task: Task, jobId: string): Promise<void> {
    const known = await this.#deps.jobs.stop(jobId);
    if (!known) {
      this.#deps.logger.debug('job of a stopped task unknown to jobservice', { taskId: task.id, jobId });
      await this.#deps.tasks.markFinal(task, 'Stopped', '');
    }
  }
}
