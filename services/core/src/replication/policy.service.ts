import type { Logger } from '@wharf/logging';
import type { ListQuery } from '../listing/list-query.js';
import type { Principal } from '../rbac/principal.js';
import { RegistryNotFoundError } from '../registries/registry.errors.js';
import type { Registry } from '../registries/registry.schemas.js';
import { requireSysadmin, type RegistryService } from '../registries/registry.service.js';
import type { ExecutionService } from '../tasks/execution.service.js';
import { PolicyExistsError, PolicyInvalidError, PolicyNotFoundError, PolicyPreconditionError } from './policy.errors.js';
import type { PolicyStore } from './policy.store.js';
import { toPolicyFields, type PolicyFields, type PolicyRequest, type ReplicationPolicy } from './policy.schemas.js';
import { REPLICATION, type ReplicationScheduler } from './schedule.service.js';

export interface PolicyServiceDeps {
  policies: PolicyStore;
  registries: RegistryService;
  executions: ExecutionService;
  scheduler: ReplicationScheduler;
  logger: Logger;
}

const wantsSchedule = (policy: Pick<ReplicationPolicy, 'enabled' | 'trigger'>) => policy.enabled && policy.trigger.type === 'scheduled';

/** Replication policies (Harbor's replication policy controller); system admins only. */
export class PolicyService {
  readonly #deps: PolicyServiceDeps;

  constructor(deps: PolicyServiceDeps) {
    this.#deps = deps;
  }

  async list(principal: Principal, query: ListQuery, name?: string): Promise<{ items: ReplicationPolicy[]; total: number }> {
    requireSysadmin(principal, 'list replication policies');
    return this.#deps.policies.list(query, name);
  }

  async get(principal: Principal, id: number): Promise<ReplicationPolicy> {
    requireSysadmin(principal, 'see replication policies');
    return this.require(id);
  }

  /** A policy for the replication code (no access check). */
  async require(id: number): Promise<ReplicationPolicy> {
    const policy = await this.#deps.policies.findById(id);
    if (!policy) throw new PolicyNotFoundError(id);
    return policy;
  }

  /** The policy's two registries (the local Wharf for id 0). */
  async registriesOf(policy: ReplicationPolicy): Promise<{ src: Registry; dest: Registry }> {
    const [src, dest] = await Promise.all([this.#deps.registries.require(policy.srcRegistryId), this.#deps.registries.require(policy.destRegistryId)]);
    return { src, dest };
  }

  async eventBased(): Promise<ReplicationPolicy[]> {
    return this.#deps.policies.listEventBased();
  }

  async create(principal: Principal, request: PolicyRequest): Promise<ReplicationPolicy> {
    requireSysadmin(principal, 'create replication policies');
    const fields = await this.#validated(request);
    const created = await this.#deps.policies.create(fields);
    if (!created) throw new PolicyExistsError(fields.name);
    this.#deps.logger.info('replication policy created', { policyId: created.id, name: created.name, trigger: created.trigger.type });
    if (wantsSchedule(created)) await this.#scheduleOrRollBack(created, () => this.#deps.policies.delete(created.id));
    return created;
  }

  /** Harbor's PUT replaces the whole policy; the schedule follows the new trigger and state. */
  async update(principal: Principal, id: number, request: PolicyRequest): Promise<ReplicationPolicy> {
    requireSysadmin(principal, 'change replication policies');
    const current = await this.require(id);
    const fields = await this.#validated(request);
    const updated = await this.#deps.policies.update(id, fields);
    if (updated === 'missing') throw new PolicyNotFoundError(id);
    if (updated === 'name_taken') throw new PolicyExistsError(fields.name);
    const scheduleChanged = wantsSchedule(current) !== wantsSchedule(updated) || current.trigger.cron !== updated.trigger.cron;
    if (scheduleChanged || (wantsSchedule(updated) && !(await this.#deps.scheduler.scheduled(id)))) {
      if (wantsSchedule(updated)) await this.#scheduleOrRollBack(updated, async () => void (await this.#deps.policies.update(id, this.#fieldsOf(current))));
      else await this.#deps.scheduler.unschedule(id);
    }
    this.#deps.logger.info('replication policy updated', { policyId: id });
    return updated;
  }

  /** Harbor refuses to delete a policy with running executions (412); its schedule is removed with it. */
  async delete(principal: Principal, id: number): Promise<void> {
    requireSysadmin(principal, 'delete replication policies');
    await this.require(id);
    const running = await this.#deps.executions.list({ vendorType: REPLICATION, vendorId: id }, { conditions: [{ key: 'status', kind: 'exact', value: 'Running' }], sort: [], page: 1, pageSize: 1 });
    if (running.total > 0) throw new PolicyPreconditionError(`replication policy ${id} has running executions; stop them first`);
    await this.#deps.scheduler.unschedule(id);
    if (!(await this.#deps.policies.delete(id))) throw new PolicyNotFoundError(id);
    this.#deps.logger.info('replication policy deleted', { policyId: id });
  }

  async #validated(request: PolicyRequest): Promise<PolicyFields> {
    const fields = toPolicyFields(request);
    for (const id of [fields.srcRegistryId, fields.destRegistryId]) {
      if (id === 0) continue;
      try {
        await this.#deps.registries.require(id);
      } catch (error) {
        if (error instanceof RegistryNotFoundError) throw new PolicyInvalidError(`registry ${id} not found`);
        throw error;
      }
    }
    return fields;
  }

  async #scheduleOrRollBack(policy: ReplicationPolicy, rollBack: () => Promise<unknown>): Promise<void> {
    try {
      await this.#deps.scheduler.schedule(policy.id, policy.trigger.cron);
    } catch (error) {
      await rollBack().catch((rollBackError: unknown) => this.#deps.logger.error('replication policy roll back failed', { policyId: policy.id, err: rollBackError }));
      throw error;
    }
  }

  #fieldsOf(policy: ReplicationPolicy): PolicyFields {
    const { id: _id, creationTime: _c, updateTime: _u, ...fields } = policy;
    return fields;
  }
}
