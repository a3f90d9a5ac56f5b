import type { ListQuery } from '../listing/list-query.js';
import { UnauthenticatedError } from '../rbac/access.errors.js';
import { isSysadmin, type Principal } from '../rbac/principal.js';
import type { AuditEntry, AuditRecord, AuditStore } from './audit.store.js';

/** The audit log: who did what to which resource, and when. */
export class AuditService {
  readonly #audit: AuditStore;

  constructor(deps: { audit: AuditStore }) {
    this.#audit = deps.audit;
  }

  async record(entry: AuditEntry): Promise<void> {
    await this.#audit.add(entry);
  }

  /** System admins see every entry; other users those of the projects they administer. */
  async list(principal: Principal, query: ListQuery): Promise<{ items: AuditRecord[]; total: number }> {
    if (principal.kind === 'anonymous') throw new UnauthenticatedError();
    if (isSysadmin(principal)) return this.#audit.list(undefined, query);
    const projects = principal.kind === 'user' ? await this.#audit.projectsWithLogAccess(principal.id) : [];
    return this.#audit.list(projects, query);
  }

  /** Entries of one project (the caller's access to its log is checked by the caller). */
  async listForProject(projectId: number, query: ListQuery): Promise<{ items: AuditRecord[]; total: number }> {
    return this.#audit.list([projectId], query);
  }
}
