import { isFinalJobStatus, type JobStatsV1 } from '@wharf/contracts';
import type { Logger } from '@wharf/logging';
import type { JobServiceClient } from '../jobs/jobservice.client.js';
import type { TaskToCheck } from './task.store.js';
import type { TaskService } from './task.service.js';

export interface TaskReconcilerDeps {
  tasks: TaskService;
  jobs: JobServiceClient;
  logger: Logger;
  /** Time between rounds. */
  intervalMs: number;
  /**
   * A task neither changed nor checked for this long has its job checked; a periodic job
   * (a schedule) is checked this often whatever happens to it.
   */
  staleAfterMs: number;
  /** How often one task's job may be submitted again before the task ends in Error. */
  maxResubmits: number;
  /** Tasks checked per round at most. */
  batchSize?: number;
}

export interface ReconcileRound {
  checked: number;
  /** Statuses caught up from jobservice (their hooks were lost). */
  caughtUp: number;
  resubmitted: number;
  failed: number;
}

/**
 * Reconciles core's tasks with jobservice, whose job state lives in Redis and can be lost
 * (a Redis restarted without persistence, a flushed database) — Postgres is the system of
 * record. Each round claims the unfinished tasks that have not moved for a while, and every
 * periodic task (a schedule) not stopped — whatever the status of its last run — and asks
 * jobservice for each one's job:
 * - known and further on than the task (its hooks were lost): the job's status is applied
 *   as its hook would have been;
 * - unknown: noted, and if still unknown at the next round (a running job re-creates its
 *   record when it next reports), submitted again as first launched — a periodic job at
 *   once and however often, so a schedule is re-registered the moment it is found missing,
 *   at start included; after `maxResubmits` (a job that keeps vanishing), or for a task
 *   whose job was not kept, the task ends in Error with the reason;
 * - jobservice unreachable: nothing is decided; the next round asks again.
 * Replicas never check the same task at once (claims use SKIP LOCKED and a check stamp).
 */
export class TaskReconciler {
  readonly #deps: TaskReconcilerDeps;
  #timer: NodeJS.Timeout | undefined;
  #round: Promise<ReconcileRound> | undefined;
  #closed = false;

  constructor(deps: TaskReconcilerDeps) {
    this.#deps = deps;
  }

  /** Runs a round now (a started core re-registers lost schedules at once), then every interval. */
  start(): void {
    const tick = (): void => {
      if (this.#closed) return;
      void this.run().finally(() => {
        if (this.#closed) return;
        this.#timer = setTimeout(tick, this.#deps.intervalMs);
        this.#timer.unref();
      });
    };
    tick();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#round?.catch(() => undefined);
  }

  /** One round (rounds never overlap in one process). */
  run(): Promise<ReconcileRound> {
    this.#round ??= this.#run().finally(() => (this.#round = undefined));
    return this.#round;
  }

  async #run(): Promise<ReconcileRound> {
    const round: ReconcileRound = { checked: 0, caughtUp: 0, resubmitted: 0, failed: 0 };
    let claimed: TaskToCheck[];
    try {
      claimed = await this.#deps.tasks.claimForCheck({ staleAfterMs: this.#deps.staleAfterMs, periodicEveryMs: this.#deps.staleAfterMs, limit: this.#deps.batchSize ?? 200 });
    } catch (error) {
      this.#deps.logger.warn('task reconciliation round failed', { err: error });
      return round;
    }
    for (const check of claimed) {
      try {
        const outcome = await this.#check(check);
        round.checked += 1;
        if (outcome !== 'ok') round[outcome] += 1;
      } catch (error) {
        this.#deps.logger.warn('task reconciliation failed', { taskId: check.task.id, jobId: check.task.jobId, err: error });
      }
    }
    if (round.caughtUp + round.resubmitted + round.failed > 0) this.#deps.logger.info('tasks reconciled with jobservice', { ...round });
    return round;
  }

  async #check(check: TaskToCheck): Promise<'ok' | 'caughtUp' | 'resubmitted' | 'failed'> {
    const { task } = check;
    if (!task.jobId) return this.#lost(check, 'its job was never submitted (core stopped while submitting it)');
    let stats: JobStatsV1 | undefined;
    try {
      stats = await this.#deps.jobs.get(task.jobId);
    } catch (error) {
      this.#deps.logger.debug('jobservice not reachable for a task check', { taskId: task.id, err: error });
      return 'ok';
    }
    if (stats) {
      if (check.jobMissingSince) await this.#deps.tasks.clearJobMissing(task);
      if (stats.kind === 'Periodic' || !this.#ahead(stats, task)) return 'ok';
      const outcome = await this.#deps.tasks.applyHook({ job_id: stats.id, status: stats.status, metadata: stats });
      return outcome.result === 'applied' ? 'caughtUp' : 'ok';
    }
    if (!check.jobMissingSince && !task.jobPeriodic) {
      // Confirmed at the next round: a job running right now re-creates its record when it reports.
      await this.#deps.tasks.markJobMissing(task);
      return 'ok';
    }
    return this.#lost(check, `jobservice no longer knows job ${task.jobId}`);
  }

  /** The job reports a later run, or a further status of the same run, than the task shows. */
  #ahead(stats: JobStatsV1, task: TaskToCheck['task']): boolean {
    const revision = stats.revision ?? 0;
    if (revision !== task.statusRevision) return revision > task.statusRevision;
    return isFinalJobStatus(stats.status) ? task.statusCode < 3 : stats.status === 'Running' && task.status !== 'Running';
  }

  async #lost(check: TaskToCheck, reason: string): Promise<'ok' | 'resubmitted' | 'failed'> {
    const { task } = check;
    // A schedule is registered again however often it is lost; a job that keeps vanishing is given up on.
    if (check.jobSpecSealed && (task.jobPeriodic || task.jobResubmits < this.#deps.maxResubmits)) {
      try {
        return (await this.#deps.tasks.resubmit(check, reason)) ? 'resubmitted' : 'ok';
      } catch (error) {
        // jobservice refused or could not be reached: the next round tries again.
        this.#deps.logger.warn('task job resubmission failed', { taskId: task.id, err: error });
        return 'ok';
      }
    }
    const why = check.jobSpecSealed ? `${reason}; submitted again ${task.jobResubmits} times already` : `${reason}; the job was not kept, so it cannot be submitted again`;
    await this.#deps.tasks.fail(task, why);
    return 'failed';
  }
}
