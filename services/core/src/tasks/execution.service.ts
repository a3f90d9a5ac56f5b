import type { Logger } from '@wharf/logging';
import type { ListQuery } from '../listing/list-query.js';
import type { ExecutionFilter, ExecutionStore } from './execution.store.js';
import { ExecutionNotFoundError } from './task.errors.js';
import type { TaskService } from './task.service.js';
import { executionInputSchema, type Execution, type ExecutionTrigger, type ExtraAttrs } from './tasks.schemas.js';

/** How many stop requests one execution's stop sends at a time. */
const STOP_CONCURRENCY = 8;

/**
 * Executions (Harbor's `task.ExecutionManager`): one run of a vendor's policy. Its status
 * follows its tasks (refreshed with every task change); one that ends without tasks is
 * ended by its vendor with markDone / markError.
 */
export class ExecutionService {
  readonly #deps: { executions: ExecutionStore; tasks: TaskService; logger: Logger };

  constructor(deps: { executions: ExecutionStore; tasks: TaskService; logger: Logger }) {
    this.#deps = deps;
  }

  /** A Running execution without tasks yet. `vendorId` is the vendor's policy id (-1 when none). */
  async create(vendorType: string, vendorId: number, trigger: ExecutionTrigger, extraAttrs: ExtraAttrs = {}): Promise<Execution> {
    return this.#deps.executions.create(executionInputSchema.parse({ vendorType, vendorId, trigger, extraAttrs }));
  }

  async get(id: number): Promise<Execution> {
    const execution = await this.#deps.executions.findById(id);
    if (!execution) throw new ExecutionNotFoundError(id);
    return execution;
  }

  /** One page of a vendor's executions (newest first unless `sort` says otherwise); `q`/`sort` keys: id, vendor_id, status, trigger, start_time, end_time. */
  async list(filter: ExecutionFilter, query: ListQuery): Promise<{ items: Execution[]; total: number }> {
    return this.#deps.executions.list(filter, query);
  }

  /**
   * Stops the execution (Harbor's `ExecutionManager.Stop`): every unfinished task's job is
   * stopped; tasks whose job never started in jobservice end Stopped at once, the others
   * when jobservice reports them stopped, and the execution shows Stopped once every task
   * is final. An execution without tasks ends Stopped here. Stop requests that fail are
   * logged and the first failure is thrown after all were tried.
   */
  async stop(id: number): Promise<Execution> {
    const execution = await this.get(id);
    if (execution.metrics.taskCount === 0) {
      await this.#deps.executions.finish(id, 'Stopped', '', { onlyIfRunning: true });
      return this.get(id);
    }
    const tasks = await this.#deps.tasks.listUnfinished(id);
    let firstFailure: Error | undefined;
    for (let start = 0; start < tasks.length; start += STOP_CONCURRENCY) {
      const results = await Promise.allSettled(tasks.slice(start, start + STOP_CONCURRENCY).map((task) => this.#deps.tasks.stop(task.id)));
      results.forEach((result, index) => {
        if (result.status === 'fulfilled') return;
        const reason = result.reason instanceof Error ? result.reason : new Error(String(result.reason));
        this.#deps.logger.warn('task stop failed', { executionId: id, taskId: tasks[start + index]?.id, err: reason });
        firstFailure ??= reason;
      });
    }
    if (firstFailure) throw firstFailure;
    return this.get(id);
  }

  /** Ends an execution that had nothing to do as a Success (a replication with nothing to copy). */
  async markDone(id: number, message = ''): Promise<Execution> {
    const execution = await this.#deps.executions.finish(id, 'Success', message);
    if (!execution) throw new ExecutionNotFoundError(id);
    return execution;
  }

  /**
   * Ends an execution that failed before (or instead of) running tasks as an Error with
   * the reason. An execution's status follows its tasks whenever one of them changes, so
   * a vendor failing after it created tasks stops the execution (and waits for it) first.
   */
  async markError(id: number, message: string): Promise<Execution> {
    const execution = await this.#deps.executions.finish(id, 'Error', message);
    if (!execution) throw new ExecutionNotFoundError(id);
    return execution;
  }
}
