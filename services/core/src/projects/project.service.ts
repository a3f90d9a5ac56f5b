import type { Logger } from '@wharf/logging';
import type { ListQuery } from '../listing/list-query.js';
import { ForbiddenError, UnauthenticatedError } from '../rbac/access.errors.js';
import { isSysadmin, type Principal } from '../rbac/principal.js';
import type { ProjectAccessInfo, RbacService } from '../rbac/rbac.service.js';
import type { Action, ProjectResource, RoleId } from '../rbac/roles.js';
import { ProjectExistsError, ProjectInvalidError, ProjectNotEmptyError, ProjectNotFoundError } from './project.errors.js';
import type { ProjectChanges } from './project-changes.js';
import type { ProjectGateCache } from './project-gate.cache.js';
import type { ProjectFilter, ProjectGateInfo, ProjectRecord, ProjectStore, Visibility } from './project.store.js';

export type { ProjectGateInfo, ProjectRecord };

export type ProjectRef = { id: number } | { name: string };

export interface ProjectInput {
  project_name?: string;
  public?: boolean | null;
  metadata?: Record<string, unknown>;
  cve_allowlist?: { items?: { cve_id: string }[]; expires_at?: number | null };
  storage_limit?: number | null;
  registry_id?: number | null;
}

/** Harbor's project name rule. */
const PROJECT_NAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const BOOLEAN_KEYS = new Set(['public', 'enable_content_trust', 'enable_content_trust_cosign', 'prevent_vul', 'auto_scan', 'auto_sbom_generation', 'reuse_sys_cve_allowlist']);
const SEVERITIES = new Set(['none', 'low', 'medium', 'high', 'critical']);
const OTHER_KEYS = new Set(['severity', 'retention_id']);

export interface ProjectAuditor {
  record(entry: { projectId: number | null; operation: string; resourceType: string; resource: string; username: string }): Promise<void>;
}

export interface ProjectServiceDeps {
  projects: ProjectStore;
  /** Where the gate's view of projects is kept; every change here is announced to it. */
  gate?: { cache: ProjectGateCache; changes: ProjectChanges };
  rbac: RbacService;
  audit: ProjectAuditor;
  creationRestriction: 'everyone' | 'adminonly';
  logger: Logger;
  principalName: (principal: Principal) => string;
}

export function accessInfo(project: ProjectRecord): ProjectAccessInfo {
  return { id: project.id, name: project.name, public: project.metadata.public === 'true' };
}

/** Projects: visibility, CRUD, metadata, summaries (Harbor's project controller). */
export class ProjectService {
  readonly #deps: ProjectServiceDeps;

  constructor(deps: ProjectServiceDeps) {
    this.#deps = deps;
  }

  /** The project, without any access check (for internal decisions). */
  async find(ref: ProjectRef): Promise<ProjectRecord | undefined> {
    return 'id' in ref ? this.#deps.projects.findById(ref.id) : this.#deps.projects.findByName(ref.name);
  }

  /** What the registry gate needs of the project named, without any access check. */
  async gateInfo(name: string): Promise<ProjectGateInfo | undefined> {
    return this.#deps.gate ? this.#deps.gate.cache.get(name) : this.#deps.projects.findGateInfo(name);
  }

  async #changed(name: string): Promise<void> {
    await this.#deps.gate?.changes.announce(name);
  }

  /**
   * The project when the caller may do `action` on `resource` in it. A project the caller
   * cannot see is not found (404), never forbidden, so private projects do not leak.
   */
  async require(principal: Principal, ref: ProjectRef, resource: ProjectResource = 'project', action: Action = 'read'): Promise<ProjectRecord> {
    const project = await this.find(ref);
    const label = 'id' in ref ? ref.id : ref.name;
    if (!project) throw new ProjectNotFoundError(label);
    const info = accessInfo(project);
    if (!(await this.#deps.rbac.can(principal, info, 'project', 'read'))) throw new ProjectNotFoundError(label);
    if (!(await this.#deps.rbac.can(principal, info, resource, action))) {
      throw principal.kind === 'anonymous' ? new UnauthenticatedError() : new ForbiddenError(`you may not ${action} ${resource} in project ${project.name}`);
    }
    return project;
  }

  async rolesOf(principal: Principal, project: ProjectRecord): Promise<RoleId[]> {
    const role = await this.#deps.rbac.roleOf(principal, accessInfo(project));
    return role === undefined ? [] : [role];
  }

  async list(principal: Principal, filter: Omit<ProjectFilter, 'visibility'>, query: ListQuery): Promise<{ items: ProjectRecord[]; total: number }> {
    return this.#deps.projects.list({ ...filter, visibility: this.#visibility(principal) }, query);
  }

  /** HEAD /projects?project_name=: whether the name is taken (for creating projects; needs a signed-in caller). */
  async nameTaken(principal: Principal, name: string): Promise<boolean> {
    if (principal.kind === 'anonymous') throw new UnauthenticatedError();
    return this.#deps.projects.exists(name);
  }

  async create(principal: Principal, input: ProjectInput): Promise<ProjectRecord> {
    if (principal.kind === 'anonymous') throw new UnauthenticatedError();
    if (this.#deps.creationRestriction === 'adminonly' && !isSysadmin(principal)) throw new ForbiddenError('only system admins may create projects');
    if (principal.kind === 'robot') throw new ForbiddenError('robot accounts may not create projects');
    const name = (input.project_name ?? '').trim();
    if (!name || name.length > 255 || !PROJECT_NAME.test(name)) {
      throw new ProjectInvalidError('the project name must be lower-case letters and digits, separated by single . _ or -, at most 255 characters');
    }
    if (input.registry_id !== undefined && input.registry_id !== null) throw new ProjectInvalidError('proxy-cache projects (registry_id) are not supported yet');
    const metadata = { public: 'false', ...normaliseMetadata(input) };
    const id = await this.#deps.projects.create({
      name,
      ownerId: principal.kind === 'user' ? principal.id : null,
      metadata,
      cveAllowlist: { items: input.cve_allowlist?.items ?? [], expiresAt: input.cve_allowlist?.expires_at ?? null },
    });
    if (id === undefined) throw new ProjectExistsError(name);
    await this.#changed(name);
    await this.#deps.audit.record({ projectId: id, operation: 'create', resourceType: 'project', resource: name, username: this.#deps.principalName(principal) });
    this.#deps.logger.info('project created', { project: name });
    return (await this.#deps.projects.findById(id))!;
  }

  async update(principal: Principal, ref: ProjectRef, input: ProjectInput): Promise<void> {
    const project = await this.require(principal, ref, 'project', 'update');
    if (input.project_name !== undefined && input.project_name !== project.name) throw new ProjectInvalidError('a project cannot be renamed');
    await this.#deps.projects.update(project.id, {
      metadata: normaliseMetadata(input),
      cveAllowlist: input.cve_allowlist ? { items: input.cve_allowlist.items ?? [], expiresAt: input.cve_allowlist.expires_at ?? null } : undefined,
    });
    await this.#changed(project.name);
  }

  async delete(principal: Principal, ref: ProjectRef): Promise<void> {
    const project = await this.require(principal, ref, 'project', 'delete');
    const result = await this.#deps.projects.deleteIfEmpty(project.id);
    if (!result.deleted && result.repositories > 0) throw new ProjectNotEmptyError(project.name, result.repositories);
    await this.#changed(project.name);
    await this.#deps.audit.record({ projectId: project.id, operation: 'delete', resourceType: 'project', resource: project.name, username: this.#deps.principalName(principal) });
    this.#deps.logger.info('project deleted', { project: project.name });
  }

  async summary(principal: Principal, ref: ProjectRef): Promise<{ project: ProjectRecord; members: Record<number, number>; storageUsed: number }> {
    const project = await this.require(principal, ref);
    const [members, storageUsed] = await Promise.all([this.#deps.projects.memberCounts(project.id), this.#deps.projects.storageUsed(project.id)]);
    return { project, members, storageUsed };
  }

  #visibility(principal: Principal): Visibility {
    switch (principal.kind) {
      case 'internal':
        return { kind: 'all' };
      case 'anonymous':
        return { kind: 'public' };
      case 'user':
        return principal.sysadmin ? { kind: 'all' } : { kind: 'member', userId: principal.id };
      case 'robot': {
        const names = principal.permissions.filter((p) => p.kind === 'project').map((p) => p.namespace);
        return names.includes('*') ? { kind: 'all' } : { kind: 'named', names, includePublic: false };
      }
    }
  }
}

/** Harbor keeps every metadata value as a string; booleans are "true"/"false". */
function normaliseMetadata(input: ProjectInput): Record<string, string> {
  const out: Record<string, string> = {};
  if (input.public !== undefined && input.public !== null) out.public = String(input.public);
  for (const [key, raw] of Object.entries(input.metadata ?? {})) {
    if (raw === null || raw === undefined) continue;
    if (typeof raw !== 'string' && typeof raw !== 'boolean' && typeof raw !== 'number') throw new ProjectInvalidError(`metadata ${key} must be a string`);
    const value = String(raw).trim();
    if (BOOLEAN_KEYS.has(key)) {
      if (value !== 'true' && value !== 'false') throw new ProjectInvalidError(`metadata ${key} must be "true" or "false"`);
    } else if (key === 'severity') {
      if (!SEVERITIES.has(value.toLowerCase())) throw new ProjectInvalidError('metadata severity must be one of none, low, medium, high, critical');
      out[key] = value.toLowerCase();
      continue;
    } else if (!OTHER_KEYS.has(key)) {
      throw new ProjectInvalidError(`unsupported project metadata ${key}`);
    }
    out[key] = value;
  }
  return out;
}
