import type { ListQuery } from '../../listing/list-query.js';
import type { RegistryEndpointStore, RegistryFields, StoredRegistry } from '../../registries/registry-endpoint.store.js';
import type { PolicyFields, ReplicationPolicy } from '../../replication/policy.schemas.js';
import type { PolicyStore } from '../../replication/policy.store.js';
import type { PolicySchedule, ScheduleStore } from '../../replication/schedule.store.js';
import type { InMemoryDb } from './db.js';
import { contains, listInMemory, type Field } from './list.js';

const registryFields: Record<string, Field<StoredRegistry>> = {
  id: { get: (r) => r.id, type: 'int' },
  name: { get: (r) => r.name, type: 'text' },
  type: { get: (r) => r.type, type: 'text' },
  url: { get: (r) => r.url, type: 'text' },
  description: { get: (r) => r.description, type: 'text' },
  status: { get: (r) => r.status, type: 'text' },
  creation_time: { get: (r) => r.creationTime, type: 'time' },
  update_time: { get: (r) => r.updateTime, type: 'time' },
};

export class InMemoryRegistryEndpointStore implements RegistryEndpointStore {
  readonly #db: InMemoryDb;

  constructor(deps: { db: InMemoryDb }) {
    this.#db = deps.db;
  }

  async create(fields: RegistryFields): Promise<StoredRegistry | undefined> {
    if (this.#named(fields.name)) return undefined;
    const now = this.#db.now();
    const stored: StoredRegistry = { ...fields, id: this.#db.nextId('registry'), status: 'unknown', creationTime: now, updateTime: now };
    this.#db.registries.set(stored.id, stored);
    return { ...stored };
  }

  async findById(id: number): Promise<StoredRegistry | undefined> {
    const stored = this.#db.registries.get(id);
    return stored && { ...stored };
  }

  async list(query: ListQuery, name?: string): Promise<{ items: StoredRegistry[]; total: number }> {
    const rows = [...this.#db.registries.values()].filter((r) => !name || contains(r.name, name));
    return listInMemory(rows, query, registryFields, [{ key: 'id', descending: false }]);
  }

  async update(id: number, fields: RegistryFields): Promise<StoredRegistry | 'missing' | 'name_taken'> {
    const stored = this.#db.registries.get(id);
    if (!stored) return 'missing';
    const other = this.#named(fields.name);
    if (other && other.id !== id) return 'name_taken';
    Object.assign(stored, fields, { updateTime: this.#db.now() });
    return { ...stored };
  }

  async delete(id: number): Promise<'deleted' | 'missing' | 'in_use'> {
    if (!this.#db.registries.has(id)) return 'missing';
    if ([...this.#db.policies.values()].some((p) => p.srcRegistryId === id || p.destRegistryId === id)) return 'in_use';
    this.#db.registries.delete(id);
    return 'deleted';
  }

  async setStatus(id: number, status: string): Promise<void> {
    const stored = this.#db.registries.get(id);
    if (stored) stored.status = status;
  }

  #named(name: string): StoredRegistry | undefined {
    return [...this.#db.registries.values()].find((r) => r.name === name);
  }
}

const policyFields: Record<string, Field<ReplicationPolicy>> = {
  id: { get: (p) => p.id, type: 'int' },
  name: { get: (p) => p.name, type: 'text' },
  description: { get: (p) => p.description, type: 'text' },
  enabled: { get: (p) => p.enabled, type: 'bool' },
  src_registry_id: { get: (p) => p.srcRegistryId, type: 'int' },
  dest_registry_id: { get: (p) => p.destRegistryId, type: 'int' },
  creation_time: { get: (p) => p.creationTime, type: 'time' },
  update_time: { get: (p) => p.updateTime, type: 'time' },
};

export class InMemoryPolicyStore implements PolicyStore {
  readonly #db: InMemoryDb;

  constructor(deps: { db: InMemoryDb }) {
    this.#db = deps.db;
  }

  async create(fields: PolicyFields): Promise<ReplicationPolicy | undefined> {
    if (this.#named(fields.name)) return undefined;
    const now = this.#db.now();
    const policy: ReplicationPolicy = { ...structuredClone(fields), id: this.#db.nextId('replication_policy'), creationTime: now, updateTime: now };
    this.#db.policies.set(policy.id, policy);
    return structuredClone(policy);
  }

  async findById(id: number): Promise<ReplicationPolicy | undefined> {
    const policy = this.#db.policies.get(id);
    return policy && structuredClone(policy);
  }

  async list(query: ListQuery, name?: string): Promise<{ items: ReplicationPolicy[]; total: number }> {
    const rows = [...this.#db.policies.values()].filter((p) => !name || contains(p.name, name));
    const page = listInMemory(rows, query, policyFields, [{ key: 'id', descending: false }]);
    return { items: page.items.map((p) => structuredClone(p)), total: page.total };
  }

  async listEventBased(): Promise<ReplicationPolicy[]> {
    return [...this.#db.policies.values()]
      .filter((p) => p.enabled && p.srcRegistryId === 0 && p.trigger.type === 'event_based')
      .sort((a, b) => a.id - b.id)
      .map((p) => structuredClone(p));
  }

  async update(id: number, fields: PolicyFields): Promise<ReplicationPolicy | 'missing' | 'name_taken'> {
    const policy = this.#db.policies.get(id);
    if (!policy) return 'missing';
    const other = this.#named(fields.name);
    if (other && other.id !== id) return 'name_taken';
    Object.assign(policy, structuredClone(fields), { updateTime: this.#db.now() });
    return structuredClone(policy);
  }

  async delete(id: number): Promise<boolean> {
    this.#db.schedules.delete(id);
    return this.#db.policies.delete(id);
  }

  #named(name: string): ReplicationPolicy | undefined {
    return [...this.#db.policies.values()].find((p) => p.name === name);
  }
}

export class InMemoryScheduleStore implements ScheduleStore {
  readonly #db: InMemoryDb;

  constructor(deps: { db: InMemoryDb }) {
    this.#db = deps.db;
  }

  async find(policyId: number): Promise<PolicySchedule | undefined> {
    const schedule = this.#db.schedules.get(policyId);
    return schedule && { ...schedule };
  }

  async findByExecution(executionId: number): Promise<PolicySchedule | undefined> {
    const schedule = [...this.#db.schedules.values()].find((s) => s.executionId === executionId);
    return schedule && { ...schedule };
  }

  async save(schedule: PolicySchedule): Promise<void> {
    this.#db.schedules.set(schedule.policyId, { ...schedule });
  }

  async delete(policyId: number): Promise<PolicySchedule | undefined> {
    const schedule = this.#db.schedules.get(policyId);
    this.#db.schedules.delete(policyId);
    return schedule;
  }

  async claimFire(fireId: string, policyId: number): Promise<boolean> {
    if (this.#db.scheduleFires.has(fireId)) return false;
    this.#db.scheduleFires.set(fireId, { policyId, executionId: null });
    return true;
  }

  async setFireExecution(fireId: string, executionId: number): Promise<void> {
    const fire = this.#db.scheduleFires.get(fireId);
    if (fire) fire.executionId = executionId;
  }
}
