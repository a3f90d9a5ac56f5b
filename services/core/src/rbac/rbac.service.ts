import type { Principal, RobotPermission } from './principal.js';
import { publicAllows, Role, roleAllows, type Action, type ProjectResource, type RoleId } from './roles.js';

/** What RBAC needs to know about a project. */
export interface ProjectAccessInfo {
  id: number;
  name: string;
  public: boolean;
}

/** Reads a user's role in a project (implemented by the member repository). */
export interface MemberRoleReader {
  roleOf(projectId: number, userId: number): Promise<RoleId | undefined>;
}

export type RepositoryAction = 'pull' | 'push' | 'delete';

function robotAllows(permissions: readonly RobotPermission[], project: ProjectAccessInfo, resource: string, action: string): boolean {
  let allowed = false;
  for (const permission of permissions) {
    if (permission.kind !== 'project' || (permission.namespace !== project.name && permission.namespace !== '*')) continue;
    for (const access of permission.access) {
      if ((access.resource !== resource && access.resource !== '*') || (access.action !== action && access.action !== '*')) continue;
      if (access.effect === 'deny') return false;
      allowed = true;
    }
  }
  return allowed;
}

/**
 * Harbor's RBAC: system admins and the suite's own services may do everything; users act
 * through their project role (src/common/rbac/project/rbac_role.go), anyone through a
 * public project's public policies; robots through exactly their permissions.
 */
export class RbacService {
  readonly #members: MemberRoleReader;

  constructor(deps: { members: MemberRoleReader }) {
    this.#members = deps.members;
  }

  async roleOf(principal: Principal, project: ProjectAccessInfo): Promise<RoleId | undefined> {
    return principal.kind === 'user' ? this.#members.roleOf(project.id, principal.id) : undefined;
  }

  async can(principal: Principal, project: ProjectAccessInfo, resource: ProjectResource, action: Action): Promise<boolean> {
    switch (principal.kind) {
      case 'internal':
        return true;
      case 'robot':
        if (principal.level === 'project' && principal.projectId !== project.id) return false;
        return robotAllows(principal.permissions, project, resource, action);
      case 'user': {
        if (principal.sysadmin) return true;
        const role = await this.#members.roleOf(project.id, principal.id);
        if (role !== undefined && roleAllows(role, resource, action)) return true;
        return project.public && publicAllows(resource, action);
      }
      case 'anonymous':
        return project.public && publicAllows(resource, action);
    }
  }

  /**
   * The registry actions a token grants on the project's repositories: Harbor grants the
   * whole permitted set, not the intersection with what was asked.
   */
  async repositoryActions(principal: Principal, project: ProjectAccessInfo): Promise<RepositoryAction[]> {
    const actions: RepositoryAction[] = [];
    if (await this.can(principal, project, 'repository', 'pull')) actions.push('pull');
    if (await this.can(principal, project, 'repository', 'push')) actions.push('push');
    if (await this.can(principal, project, 'repository', 'delete')) actions.push('delete');
    return actions;
  }

  /** Project membership of a user matters for listing; sysadmins and internal callers see everything. */
  seesEverything(principal: Principal): boolean {
    return principal.kind === 'internal' || (principal.kind === 'user' && principal.sysadmin);
  }
}

export { Role };
