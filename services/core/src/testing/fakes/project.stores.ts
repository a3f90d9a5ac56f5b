import type { AuditEntry, AuditRecord, AuditStore } from '../../audit/audit.store.js';
import type { ListQuery } from '../../listing/list-query.js';
import type { NewProject, ProjectChange, ProjectFilter, ProjectGateInfo, ProjectRecord, ProjectStore } from '../../projects/project.store.js';
import { isRowId } from '../../listing/db-range.js';
import { Role } from '../../rbac/roles.js';
import type { ScanSummaryStore } from '../../vulnerabilities/scan-summary.store.js';
import type { AuditRow, InMemoryDb, ProjectRow } from './db.js';
import { addMember } from './identity.stores.js';
import { contains, listInMemory, type Field } from './list.js';

const projectFields: Record<string, Field<ProjectRow>> = {
  name: { get: (p) => p.name, type: 'text' },
  project_id: { get: (p) => p.id, type: 'int' },
  owner_id: { get: (p) => p.ownerId, type: 'int' },
  creation_time: { get: (p) => p.creationTime, type: 'time' },
  update_time: { get: (p) => p.updateTime, type: 'time' },
};

export class InMemoryProjectStore implements ProjectStore {
  readonly #db: InMemoryDb;

  constructor(deps: { db: InMemoryDb }) {
    this.#db = deps.db;
  }

  async findById(id: number): Promise<ProjectRecord | undefined> {
    if (!isRowId(id)) return undefined;
    const row = this.#db.projects.get(id);
    return row && this.#record(row);
  }

  async findByName(name: string): Promise<ProjectRecord | undefined> {
    const row = this.#byName(name);
    return row && this.#record(row);
  }

  async findGateInfo(name: string): Promise<ProjectGateInfo | undefined> {
    const row = this.#byName(name);
    return row && { id: row.id, name: row.name, creationTime: row.creationTime, metadata: { ...row.metadata } };
  }

  async exists(name: string): Promise<boolean> {
    return this.#byName(name) !== undefined;
  }

  async list(filter: ProjectFilter, query: ListQuery): Promise<{ items: ProjectRecord[]; total: number }> {
    const visibility = filter.visibility;
    const isMember = (projectId: number, userId: number) =>
      [...this.#db.members.values()].some((m) => m.projectId === projectId && m.entityType === 'u' && m.entityId === userId);
    const visible = [...this.#db.projects.values()].filter((p) => {
      const isPublic = this.#db.isPublic(p.id);
      switch (visibility.kind) {
        case 'all':
          return true;
        case 'public':
          return isPublic;
        case 'member':
          return isPublic || isMember(p.id, visibility.userId);
        case 'named':
          return visibility.names.includes(p.name) || (visibility.includePublic && isPublic);
      }
    });
    const filtered = visible.filter(
      (p) =>
        (!filter.name || contains(p.name, filter.name)) &&
        (filter.public === undefined || this.#db.isPublic(p.id) === filter.public) &&
        (!filter.owner || (p.ownerId !== null && this.#db.users.get(p.ownerId)?.username === filter.owner)),
    );
    const page = listInMemory(filtered, query, projectFields, [{ key: 'creation_time', descending: false }, { key: 'project_id', descending: false }]);
    return { items: page.items.map((row) => this.#record(row)), total: page.total };
  }

  async create(project: NewProject): Promise<number | undefined> {
    if (this.#byName(project.name)) return undefined;
    const now = this.#db.now();
    const id = this.#db.nextId('project');
    this.#db.projects.set(id, { id, name: project.name, ownerId: project.ownerId, metadata: { ...project.metadata }, cveAllowlist: structuredClone(project.cveAllowlist), creationTime: now, updateTime: now });
    if (project.ownerId !== null) addMember(this.#db, id, project.ownerId, Role.ProjectAdmin);
    return id;
  }

  async update(id: number, change: ProjectChange): Promise<void> {
    const row = this.#db.projects.get(id);
    if (!row) return;
    Object.assign(row.metadata, change.metadata);
    if (change.cveAllowlist) row.cveAllowlist = structuredClone(change.cveAllowlist);
    row.updateTime = this.#db.now();
  }

  async deleteIfEmpty(id: number): Promise<{ deleted: boolean; repositories: number }> {
    if (!this.#db.projects.has(id)) return { deleted: false, repositories: 0 };
    const repositories = this.#repoCount(id);
    if (repositories > 0) return { deleted: false, repositories };
    this.#db.deleteProject(id);
    return { deleted: true, repositories: 0 };
  }

  async memberCounts(id: number): Promise<Record<number, number>> {
    const counts: Record<number, number> = {};
    for (const member of this.#db.members.values()) if (member.projectId === id) counts[member.role] = (counts[member.role] ?? 0) + 1;
    return counts;
  }

  async storageUsed(id: number): Promise<number> {
    return [...this.#db.artifacts.values()].filter((a) => a.projectId === id).reduce((sum, a) => sum + a.size, 0);
  }

  #byName(name: string): ProjectRow | undefined {
    return [...this.#db.projects.values()].find((p) => p.name === name);
  }

  #repoCount(projectId: number): number {
    return [...this.#db.repositories.values()].filter((r) => r.projectId === projectId).length;
  }

  #record(row: ProjectRow): ProjectRecord {
    return {
      id: row.id,
      name: row.name,
      ownerId: row.ownerId,
      ownerName: (row.ownerId !== null ? this.#db.users.get(row.ownerId)?.username : undefined) ?? '',
      metadata: { ...row.metadata },
      cveAllowlist: structuredClone(row.cveAllowlist),
      repoCount: this.#repoCount(row.id),
      creationTime: row.creationTime,
      updateTime: row.updateTime,
    };
  }
}

const auditFields: Record<string, Field<AuditRow>> = {
  operation: { get: (a) => a.operation, type: 'text' },
  resource: { get: (a) => a.resource, type: 'text' },
  resource_type: { get: (a) => a.resourceType, type: 'text' },
  username: { get: (a) => a.username, type: 'text' },
  op_time: { get: (a) => a.opTime, type: 'time' },
  id: { get: (a) => a.id, type: 'bigint' },
};

export class InMemoryAuditStore implements AuditStore {
  readonly #db: InMemoryDb;

  constructor(deps: { db: InMemoryDb }) {
    this.#db = deps.db;
  }

  async add(entry: AuditEntry): Promise<void> {
    if (entry.dedupeKey && [...this.#db.audit.values()].some((a) => a.dedupeKey === entry.dedupeKey)) return;
    const id = this.#db.nextId('audit_log');
    this.#db.audit.set(id, { ...entry, id, dedupeKey: entry.dedupeKey ?? null, opTime: entry.opTime ?? this.#db.now() });
  }

  async list(projectIds: readonly number[] | undefined, query: ListQuery): Promise<{ items: AuditRecord[]; total: number }> {
    const rows = [...this.#db.audit.values()].filter((a) => !projectIds || (a.projectId !== null && projectIds.includes(a.projectId)));
    const page = listInMemory(rows, query, auditFields, [{ key: 'op_time', descending: true }, { key: 'id', descending: true }]);
    return {
      items: page.items.map((a) => ({ id: a.id, username: a.username, resource: a.resource, resourceType: a.resourceType, operation: a.operation, opTime: a.opTime })),
      total: page.total,
    };
  }

  async projectsWithLogAccess(userId: number): Promise<number[]> {
    return [...this.#db.members.values()].filter((m) => m.entityType === 'u' && m.entityId === userId && m.role === Role.ProjectAdmin).map((m) => m.projectId);
  }

  /** Every entry, oldest first (for assertions). */
  entries(): AuditRow[] {
    return [...this.#db.audit.values()];
  }
}

export class InMemoryScanSummaryStore implements ScanSummaryStore {
  readonly #db: InMemoryDb;

  constructor(deps: { db: InMemoryDb }) {
    this.#db = deps.db;
  }

  async severityOf(digest: string): Promise<string | undefined> {
    return this.#db.scanSummaries.get(digest);
  }
}
