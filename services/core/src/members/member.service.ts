import type { ProjectRef, ProjectService } from '../projects/project.service.js';
import type { Principal } from '../rbac/principal.js';
import { isRoleId, type RoleId } from '../rbac/roles.js';
import type { UserService } from '../users/user.service.js';
import { MemberExistsError, MemberInvalidError, MemberNotFoundError } from './member.errors.js';
import type { MemberRecord, MemberStore } from './member.store.js';

export interface NewMember {
  role_id?: number;
  member_user?: { user_id?: number; username?: string };
  member_group?: unknown;
}

/** Project members and their roles; every call checks the caller's `member` permission. */
export class MemberService {
  readonly #members: MemberStore;
  readonly #projects: ProjectService;
  readonly #users: UserService;

  constructor(deps: { members: MemberStore; projects: ProjectService; users: UserService }) {
    this.#members = deps.members;
    this.#projects = deps.projects;
    this.#users = deps.users;
  }

  async list(principal: Principal, ref: ProjectRef, entityName: string | undefined, page: number, pageSize: number): Promise<{ items: MemberRecord[]; total: number }> {
    const project = await this.#projects.require(principal, ref, 'member', 'list');
    return this.#members.list(project.id, entityName, pageSize, (page - 1) * pageSize);
  }

  async get(principal: Principal, ref: ProjectRef, id: number): Promise<MemberRecord> {
    const project = await this.#projects.require(principal, ref, 'member', 'read');
    const member = await this.#members.find(project.id, id);
    if (!member) throw new MemberNotFoundError(id);
    return member;
  }

  async add(principal: Principal, ref: ProjectRef, input: NewMember): Promise<{ projectId: number; id: number }> {
    const project = await this.#projects.require(principal, ref, 'member', 'create');
    const role = this.#role(input.role_id);
    if (input.member_group) throw new MemberInvalidError('group members are not supported yet');
    const wanted = input.member_user;
    if (!wanted || (wanted.user_id === undefined && !wanted.username)) throw new MemberInvalidError('member_user with user_id or username is required');
    const user = wanted.user_id !== undefined ? await this.#users.findById(wanted.user_id) : await this.#users.findForLogin(wanted.username!);
    if (!user) throw new MemberInvalidError(`user ${wanted.username ?? wanted.user_id} does not exist`);
    const id = await this.#members.addUser(project.id, user.id, role);
    if (id === undefined) throw new MemberExistsError(user.username);
    return { projectId: project.id, id };
  }

  async updateRole(principal: Principal, ref: ProjectRef, id: number, roleId: number | undefined): Promise<void> {
    const project = await this.#projects.require(principal, ref, 'member', 'update');
    if (!(await this.#members.updateRole(project.id, id, this.#role(roleId)))) throw new MemberNotFoundError(id);
  }

  async remove(principal: Principal, ref: ProjectRef, id: number): Promise<void> {
    const project = await this.#projects.require(principal, ref, 'member', 'delete');
    if (!(await this.#members.delete(project.id, id))) throw new MemberNotFoundError(id);
  }

  #role(roleId: number | undefined): RoleId {
    if (!isRoleId(roleId)) throw new MemberInvalidError('role_id must be 1 (projectAdmin), 2 (developer), 3 (guest), 4 (maintainer) or 5 (limitedGuest)');
    return roleId;
  }
}
