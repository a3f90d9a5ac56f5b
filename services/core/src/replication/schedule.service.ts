import type { Logger } from '@wharf/logging';
import type { ExecutionService } from '../tasks/execution.service.js';
import type { TaskService } from '../tasks/task.service.js';
import type { JobHook, Task } from '../tasks/tasks.schemas.js';
import { PolicyScheduleError } from './policy.errors.js';
import type { ScheduleStore } from './schedule.store.js';

/** The job name and vendor of Harbor's scheduler. */
export const SCHEDULER = 'SCHEDULER';
export const REPLICATION = 'REPLICATION';

/**
 * The fire a SCHEDULER hook or check-in belongs to: a periodic run's own id
 * (`<periodic id>@<unix time>`), or for a hook of the periodic job itself its id with the
 * run's revision (or check-in time).
 */
export function fireIdOf(hook: JobHook): string {
  if (hook.job_id.includes('@')) return hook.job_id;
  const at = hook.metadata?.revision ?? hook.metadata?.check_in_at ?? hook.metadata?.run_at ?? 0;
  return `${hook.job_id}@${at}`;
}

/**
 * Scheduled replication as Harbor's scheduler does it: a policy's schedule is an execution
 * of vendor SCHEDULER (vendor id = the policy) with one task whose job is a jobservice
 * Periodic job `SCHEDULER` with `{vendor_type: "REPLICATION", vendor_id}`; each fire comes
 * back as hooks (and check-ins) of that task's runs and is claimed once by its fire id.
 */
export class ReplicationScheduler {
  readonly #deps: { schedules: ScheduleStore; executions: ExecutionService; tasks: TaskService; logger: Logger };

  constructor(deps: { schedules: ScheduleStore; executions: ExecutionService; tasks: TaskService; logger: Logger }) {
    this.#deps = deps;
  }

  async scheduled(policyId: number): Promise<{ cron: string } | undefined> {
    return this.#deps.schedules.find(policyId);
  }

  /** Registers the policy's periodic job (replacing any earlier one). PolicyScheduleError when jobservice refuses it. */
  async schedule(policyId: number, cron: string): Promise<void> {
    await this.unschedule(policyId);
    const execution = await this.#deps.executions.create(SCHEDULER, policyId, 'MANUAL', { cron, vendor_type: REPLICATION });
    const task = await this.#deps.tasks.create(
      execution.id,
      { name: SCHEDULER, parameters: { vendor_type: REPLICATION, vendor_id: policyId }, metadata: { kind: 'Periodic', cron_spec: cron, unique: false } },
      { cron },
    );
    if (task.status === 'Error' || !task.jobId) throw new PolicyScheduleError(`the schedule could not be registered with jobservice: ${task.statusMessage}`);
    await this.#deps.schedules.save({ policyId, executionId: execution.id, taskId: task.id, cron });
    this.#deps.logger.info('replication schedule registered', { policyId, cron, jobId: task.jobId });
  }

  /** Stops the policy's periodic job, if it has one. A jobservice failure is logged: fires of a forgotten schedule are ignored anyway. */
  async unschedule(policyId: number): Promise<void> {
    const schedule = await this.#deps.schedules.delete(policyId);
    if (!schedule) return;
    try {
      await this.#deps.executions.stop(schedule.executionId);
    } catch (error) {
      this.#deps.logger.warn('replication schedule stop failed', { policyId, executionId: schedule.executionId, err: error });
    }
    this.#deps.logger.info('replication schedule removed', { policyId });
  }

  /**
   * Claims one fire of a SCHEDULER task: the policy to run, or undefined when the task is
   * not a current schedule or the fire was already claimed (by another hook, check-in or
   * core replica).
   */
  async claim(task: Task, hook: JobHook): Promise<{ policyId: number; fireId: string } | undefined> {
    const schedule = await this.#deps.schedules.findByExecution(task.executionId);
    if (!schedule) {
      this.#deps.logger.debug('fire of a schedule that no longer exists ignored', { taskId: task.id, jobId: hook.job_id });
      return undefined;
    }
    const fireId = fireIdOf(hook);
    if (!(await this.#deps.schedules.claimFire(fireId, schedule.policyId))) return undefined;
    return { policyId: schedule.policyId, fireId };
  }

  async recordFire(fireId: string, executionId: number): Promise<void> {
    await this.#deps.schedules.setFireExecution(fireId, executionId);
  }
}
