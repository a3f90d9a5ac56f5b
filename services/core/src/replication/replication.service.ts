import type { ResourceV1 } from '@wharf/contracts';
import pLimit, { type LimitFunction } from 'p-limit';
import pMap from 'p-map';
import type { Logger } from '@wharf/logging';
import type { Condition, ListQuery } from '../listing/list-query.js';
import type { Principal } from '../rbac/principal.js';
import type { Registry } from '../registries/registry.schemas.js';
import { requireSysadmin, type RegistryService } from '../registries/registry.service.js';
import type { ExecutionService } from '../tasks/execution.service.js';
import { ExecutionNotFoundError, TaskNotFoundError } from '../tasks/task.errors.js';
import type { TaskService } from '../tasks/task.service.js';
import type { Execution, ExecutionTrigger, JobHook, Task } from '../tasks/tasks.schemas.js';
import type { AdapterClient } from './adapter.client.js';
import { buildPlan, taskOf, type PlanItem, type PlanOperation } from './plan.js';
import { PolicyPreconditionError, ReplicationExecutionNotFoundError, ReplicationTaskNotFoundError } from './policy.errors.js';
import type { ReplicationPolicy } from './policy.schemas.js';
import type { PolicyService } from './policy.service.js';
import { executionStatusCondition, taskStatusCondition, triggerCondition } from './replication.views.js';
import { REPLICATION, type ReplicationScheduler } from './schedule.service.js';
import { retryThroughOutage } from './outage.js';

export interface ReplicationServiceDeps {
  policies: PolicyService;
  registries: RegistryService;
  adapter: AdapterClient;
  executions: ExecutionService;
  tasks: TaskService;
  scheduler: ReplicationScheduler;
  logger: Logger;
  /** How many executions prepare their tasks at once (CORE_REPLICATION_MAX_CONCURRENT_EXECUTIONS). */
  maxConcurrentExecutions: number;
  /** How long a flow waits out an outage of the adapter, jobservice or the database before it fails (CORE_REPLICATION_RETRY_WINDOW). */
  outageWindowMs?: number;
  now?: () => Date;
}

/** A plan with both registries: what a run would create tasks for. */
export interface ResolvedPlan {
  policy: ReplicationPolicy;
  src: Registry;
  dest: Registry;
  items: PlanItem[];
}

/** What starts a run: the trigger, and for an event run the event's resource and operation. */
interface RunInput {
  trigger: ExecutionTrigger;
  resources?: ResourceV1[];
  operation: PlanOperation;
}

export interface ExecutionFilters {
  policyId?: number;
  status?: string;
  trigger?: string;
}

const errorText = (error: unknown): string => {
  if (error instanceof AggregateError && error.errors.length > 0) return errorText(error.errors[0]);
  return error instanceof Error ? error.message : String(error);
};

/** How many tasks of an execution are created, and their jobs submitted, at once. */
const TASK_SUBMIT_CONCURRENCY = 8;

/**
 * Replication executions (Harbor's replication controller and its copy flow). Starting
 * one creates the REPLICATION execution and answers; the flow then runs in the background,
 * at most `maxConcurrentExecutions` at once and the rest in order: fetch the source's
 * resources through the adapter, filter and rename them (the plan), prepare the
 * destination, and create one task (one REPLICATION job) per repository. The task framework
 * rolls the execution up from the jobs' hooks.
 */
export class ReplicationService {
  readonly #deps: ReplicationServiceDeps;
  /** At most `maxConcurrentExecutions` flows at once; the others wait in the order they came. */
  readonly #slots: LimitFunction;
  readonly #now: () => Date;
  /** Executions whose flow has not finished, and those of them asked to stop. */
  readonly #flowing = new Set<number>();
  readonly #stopping = new Set<number>();
  readonly #flows = new Set<Promise<void>>();

  constructor(deps: ReplicationServiceDeps) {
    this.#deps = deps;
    this.#slots = pLimit(Math.max(1, deps.maxConcurrentExecutions));
    this.#now = deps.now ?? (() => new Date());
  }

  /** `POST /replication/executions`: undefined when single_active_replication skipped it (Harbor then answers id 0). */
  async start(principal: Principal, policyId: number): Promise<Execution | undefined> {
    requireSysadmin(principal, 'start replications');
    const policy = await this.#deps.policies.require(policyId);
    if (!policy.enabled) throw new PolicyPreconditionError(`replication policy ${policyId} is disabled`);
    return this.startPolicy(policy, { trigger: 'MANUAL', operation: { kind: 'copy' } });
  }

  /** Starts a run of the policy (any trigger); the flow continues in the background. */
  async startPolicy(policy: ReplicationPolicy, input: RunInput): Promise<Execution | undefined> {
    if (policy.singleActiveReplication) {
      const running = await this.#deps.executions.list(
        { vendorType: REPLICATION, vendorId: policy.id },
        { conditions: [{ key: 'status', kind: 'exact', value: 'Running' }], sort: [], page: 1, pageSize: 1 },
      );
      if (running.total > 0) {
        this.#deps.logger.info('replication skipped while the previous execution runs', { policyId: policy.id, trigger: input.trigger });
        return undefined;
      }
    }
    const execution = await this.#deps.executions.create(REPLICATION, policy.id, input.trigger, {});
    this.#deps.logger.info('replication execution started', { executionId: execution.id, policyId: policy.id, trigger: input.trigger });
    this.#flowing.add(execution.id);
    const flow = this.#slots(() => this.#flow(execution.id, policy, input))
      .catch((error: unknown) => void this.#deps.logger.error('replication flow failed', { executionId: execution.id, err: error }))
      .finally(() => {
        this.#flowing.delete(execution.id);
        this.#stopping.delete(execution.id);
        this.#flows.delete(flow);
      });
    this.#flows.add(flow);
    return execution;
  }

  /**
   * Ends as Error the executions a stopped core left preparing: still Running, without a
   * task, and started longer ago than `olderThanMs` (long enough that no live replica can
   * still be preparing them). Without this, single_active_replication would wait forever.
   */
  async recoverInterrupted(olderThanMs: number): Promise<number> {
    const before = new Date(this.#now().getTime() - olderThanMs).toISOString();
    let recovered = 0;
    for (;;) {
      const page = await this.#deps.executions.list(
        { vendorType: REPLICATION },
        { conditions: [{ key: 'status', kind: 'exact', value: 'Running' }, { key: 'start_time', kind: 'range', min: undefined, max: before }], sort: [{ key: 'id', descending: false }], page: 1, pageSize: 100 },
      );
      const orphans = page.items.filter((e) => e.metrics.taskCount === 0 && !this.#flowing.has(e.id));
      for (const execution of orphans) {
        await this.#deps.executions.markError(execution.id, 'interrupted: core stopped before the execution created its tasks');
        recovered += 1;
      }
      if (orphans.length === 0 || page.items.length < 100) break;
    }
    if (recovered > 0) this.#deps.logger.warn('interrupted replication executions ended', { count: recovered });
    return recovered;
  }

  /** Resolves once every flow started so far has finished (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#flows.size > 0) await Promise.allSettled([...this.#flows]);
  }

  /**
   * The plan of a run: the source's resources (fetched through the adapter unless given),
   * filtered and renamed for the destination. Shared by real runs and dry runs.
   */
  async plan(policy: ReplicationPolicy, options: { resources?: ResourceV1[]; withSizes?: boolean } = {}): Promise<ResolvedPlan> {
    const { src, dest } = await this.#deps.policies.registriesOf(policy);
    const resources = options.resources ?? (await this.#deps.adapter.resources(this.#deps.registries.wire(src), policy.filters, { withSizes: options.withSizes }));
    const info = await this.#deps.adapter.info(this.#deps.registries.wire(dest));
    return { policy, src, dest, items: buildPlan(policy, resources, info.supported_repository_path_component_type) };
  }

  async #flow(executionId: number, policy: ReplicationPolicy, input: RunInput): Promise<void> {
    if (this.#stopping.has(executionId)) return;
    let created = 0;
    // Each step waits out an outage of what it calls (a service or the database restarting).
    const outage = { windowMs: this.#deps.outageWindowMs ?? 120_000, logger: this.#deps.logger };
    try {
      const plan = await retryThroughOutage('plan', () => this.plan(policy, { resources: input.resources }), outage);
      if (plan.items.length === 0) {
        if (this.#stopping.has(executionId)) return;
        await this.#deps.executions.markDone(executionId, 'no resources to replicate');
        this.#deps.logger.info('replication execution had nothing to replicate', { executionId, policyId: policy.id });
        return;
      }
      const wire = { src: this.#deps.registries.wire(plan.src), dest: this.#deps.registries.wire(plan.dest) };
      const tasks = plan.items.map((item) => taskOf(item, policy, wire, input.operation));
      if (input.operation.kind === 'copy') {
        if (this.#stopping.has(executionId)) return;
        await retryThroughOutage('prepare', () => this.#deps.adapter.prepare(wire.dest, tasks.map((t) => t.dst)), outage);
      }
      // Several tasks are created (and their jobs submitted) at once, so that the first
      // jobs run while the rest are still being submitted.
      await pMap(
        tasks,
        async (task) => {
          if (this.#stopping.has(executionId)) return;
          await retryThroughOutage('create task', () => this.#deps.tasks.create(executionId, { name: task.job.name, parameters: task.job.parameters }, task.extraAttrs), outage);
          created += 1;
        },
        // Every creation settles before a failure is reported, so `created` is exact.
        { concurrency: TASK_SUBMIT_CONCURRENCY, stopOnError: false },
      );
      this.#deps.logger.info('replication tasks created', { executionId, policyId: policy.id, tasks: created });
    } catch (error) {
      if (this.#stopping.has(executionId)) return;
      this.#deps.logger.warn('replication execution failed before its tasks', { executionId, policyId: policy.id, err: error instanceof AggregateError ? (error.errors[0] as unknown) : error });
      if (created === 0) await this.#deps.executions.markError(executionId, errorText(error));
      else await this.#deps.executions.stop(executionId);
    } finally {
      // A stop that came while tasks were being created: stop those too.
      if (this.#stopping.has(executionId) && created > 0) {
        await this.#deps.executions.stop(executionId).catch((error: unknown) => this.#deps.logger.warn('replication stop failed', { executionId, err: error }));
      }
    }
  }

  async list(principal: Principal, filters: ExecutionFilters, query: ListQuery): Promise<{ items: Execution[]; total: number }> {
    requireSysadmin(principal, 'list replication executions');
    const conditions: Condition[] = [...query.conditions];
    if (filters.status) conditions.push(executionStatusCondition(filters.status));
    if (filters.trigger) conditions.push(triggerCondition(filters.trigger));
    return this.#deps.executions.list({ vendorType: REPLICATION, vendorId: filters.policyId }, { ...query, conditions });
  }

  async get(principal: Principal, id: number): Promise<Execution> {
    requireSysadmin(principal, 'see replication executions');
    return this.#execution(id);
  }

  /** `PUT /replication/executions/{id}`: stops its jobs; a flow still preparing creates no more tasks. */
  async stop(principal: Principal, id: number): Promise<Execution> {
    requireSysadmin(principal, 'stop replication executions');
    await this.#execution(id);
    if (this.#flowing.has(id)) this.#stopping.add(id);
    const stopped = await this.#deps.executions.stop(id);
    this.#deps.logger.info('replication execution stop requested', { executionId: id });
    return stopped;
  }

  async tasks(principal: Principal, executionId: number, filters: { status?: string; resourceType?: string }, query: ListQuery): Promise<{ items: Task[]; total: number }> {
    requireSysadmin(principal, 'see replication tasks');
    await this.#execution(executionId);
    const conditions: Condition[] = [...query.conditions];
    if (filters.status) conditions.push(taskStatusCondition(filters.status));
    if (filters.resourceType) conditions.push({ key: 'extra_attrs.resource_type', kind: 'exact', value: filters.resourceType });
    return this.#deps.tasks.list(executionId, { ...query, conditions });
  }

  async taskLog(principal: Principal, executionId: number, taskId: number): Promise<string> {
    requireSysadmin(principal, 'see replication logs');
    await this.#execution(executionId);
    const task = await this.#deps.tasks.get(taskId).catch((error: unknown) => {
      throw error instanceof TaskNotFoundError ? new ReplicationTaskNotFoundError(taskId) : error;
    });
    if (task.executionId !== executionId) throw new ReplicationTaskNotFoundError(taskId);
    return this.#deps.tasks.getLog(taskId);
  }

  /** A REPLICATION job's progress check-in `{"bytes": N, "total": M}`, kept in the task's extra attributes. */
  async progress(task: Task, hook: JobHook): Promise<void> {
    let reported: { bytes?: unknown; total?: unknown };
    try {
      reported = JSON.parse(hook.check_in ?? '') as { bytes?: unknown; total?: unknown };
    } catch {
      this.#deps.logger.debug('replication check-in that is not progress ignored', { taskId: task.id });
      return;
    }
    const bytes = typeof reported.bytes === 'number' && reported.bytes >= 0 ? reported.bytes : undefined;
    if (bytes === undefined) return;
    const total = typeof reported.total === 'number' && reported.total >= 0 ? reported.total : undefined;
    await this.#deps.tasks.mergeExtraAttrs(task.id, { bytes_copied: bytes, ...(total !== undefined ? { bytes_total: total } : {}), progress_at: this.#now().toISOString() });
  }

  /** One fire of a policy's schedule: a SCHEDULE run, started once per fire however many hooks report it. */
  async scheduleFired(task: Task, hook: JobHook): Promise<void> {
    const fire = await this.#deps.scheduler.claim(task, hook);
    if (!fire) return;
    const policy = await this.#deps.policies.require(fire.policyId).catch(() => undefined);
    if (!policy?.enabled || policy.trigger.type !== 'scheduled') {
      this.#deps.logger.info('fire of a policy no longer scheduled ignored', { policyId: fire.policyId, fireId: fire.fireId });
      return;
    }
    const execution = await this.startPolicy(policy, { trigger: 'SCHEDULE', operation: { kind: 'copy' } });
    if (execution) await this.#deps.scheduler.recordFire(fire.fireId, execution.id);
  }

  /** A replication's execution; another vendor's is not found. */
  async #execution(id: number): Promise<Execution> {
    const execution = await this.#deps.executions.get(id).catch((error: unknown) => {
      if (error instanceof ExecutionNotFoundError) return undefined;
      throw error;
    });
    if (!execution || execution.vendorType !== REPLICATION) throw new ReplicationExecutionNotFoundError(id);
    return execution;
  }

  /** Used by the dry run: the resources of the destination repository (what is there already). */
  async destinationResources(dest: Registry, repository: string): Promise<ResourceV1 | undefined> {
    const escaped = repository.replace(/[*?[\]{}\\]/g, (c) => `\\${c}`);
    const found = await this.#deps.adapter.resources(this.#deps.registries.wire(dest), [{ type: 'name', value: escaped }], { withSizes: false });
    return found.find((r) => r.metadata.repository.name === repository);
  }
}
