import { isStorableText } from '../../listing/db-range.js';
import type { ListQuery } from '../../listing/list-query.js';
import type { MemberRecord, MemberStore } from '../../members/member.store.js';
import { Role, type RoleId } from '../../rbac/roles.js';
import type { NewRobot, RobotChange, RobotRecord, RobotStore } from '../../robots/robot.store.js';
import type { UserFields, UserRecord, UserStore } from '../../users/user.store.js';
import type { InMemoryDb, MemberRow } from './db.js';
import { contains, listInMemory, pageOf, type Field } from './list.js';

const userFields: Record<string, Field<UserRecord>> = {
  username: { get: (u) => u.username, type: 'text' },
  email: { get: (u) => u.email, type: 'text' },
  realname: { get: (u) => u.realname, type: 'text' },
  user_id: { get: (u) => u.id, type: 'int' },
  sysadmin_flag: { get: (u) => u.sysadmin, type: 'bool' },
  creation_time: { get: (u) => u.creationTime, type: 'time' },
  update_time: { get: (u) => u.updateTime, type: 'time' },
};

export class InMemoryUserStore implements UserStore {
  readonly #db: InMemoryDb;

  constructor(deps: { db: InMemoryDb }) {
    this.#db = deps.db;
  }

  async findById(id: number): Promise<UserRecord | undefined> {
    const user = this.#db.users.get(id);
    return user && { ...user };
  }

  async findByUsername(username: string): Promise<UserRecord | undefined> {
    if (!isStorableText(username)) return undefined;
    const user = [...this.#db.users.values()].find((u) => u.username === username);
    return user && { ...user };
  }

  async emailTaken(email: string, exceptUserId?: number): Promise<boolean> {
    return [...this.#db.users.values()].some((u) => u.email.toLowerCase() === email.toLowerCase() && u.id !== (exceptUserId ?? 0));
  }

  async create(user: UserFields): Promise<UserRecord | undefined> {
    if ([...this.#db.users.values()].some((u) => u.username === user.username)) return undefined;
    const now = this.#db.now();
    const record: UserRecord = { ...user, id: this.#db.nextId('user'), passwordVersion: 0, creationTime: now, updateTime: now };
    this.#db.users.set(record.id, record);
    return { ...record };
  }

  async list(query: ListQuery): Promise<{ items: UserRecord[]; total: number }> {
    return listInMemory(this.#db.users.values(), query, userFields, [{ key: 'user_id', descending: false }]);
  }

  async search(username: string, limit: number, offset: number): Promise<{ items: UserRecord[]; total: number }> {
    const found = [...this.#db.users.values()].filter((u) => contains(u.username, username)).sort((a, b) => (a.username < b.username ? -1 : 1));
    return pageOf(found, limit, offset);
  }

  async updateProfile(id: number, profile: { email: string; realname: string; comment: string }): Promise<boolean> {
    return this.#update(id, profile);
  }

  async setPassword(id: number, passwordHash: string): Promise<boolean> {
    const user = this.#db.users.get(id);
    return this.#update(id, { passwordHash, passwordVersion: (user?.passwordVersion ?? 0) + 1 });
  }

  async setSysadmin(id: number, sysadmin: boolean): Promise<boolean> {
    return this.#update(id, { sysadmin });
  }

  async delete(id: number): Promise<boolean> {
    return this.#db.deleteUser(id);
  }

  #update(id: number, change: Partial<UserRecord>): boolean {
    const user = this.#db.users.get(id);
    if (!user) return false;
    Object.assign(user, change, { updateTime: this.#db.now() });
    return true;
  }
}

export class InMemoryMemberStore implements MemberStore {
  readonly #db: InMemoryDb;

  constructor(deps: { db: InMemoryDb }) {
    this.#db = deps.db;
  }

  async roleOf(projectId: number, userId: number): Promise<RoleId | undefined> {
    return [...this.#db.members.values()].find((m) => m.projectId === projectId && m.entityType === 'u' && m.entityId === userId)?.role;
  }

  async list(projectId: number, entityName: string | undefined, limit: number, offset: number): Promise<{ items: MemberRecord[]; total: number }> {
    const members = [...this.#db.members.values()]
      .filter((m) => m.projectId === projectId)
      .map((m) => this.#record(m))
      .filter((m) => !entityName || contains(m.entityName, entityName))
      .sort((a, b) => a.id - b.id);
    return pageOf(members, limit, offset);
  }

  async find(projectId: number, id: number): Promise<MemberRecord | undefined> {
    const member = this.#db.members.get(id);
    return member && member.projectId === projectId ? this.#record(member) : undefined;
  }

  async addUser(projectId: number, userId: number, role: RoleId): Promise<number | undefined> {
    if ((await this.roleOf(projectId, userId)) !== undefined) return undefined;
    return addMember(this.#db, projectId, userId, role);
  }

  async updateRole(projectId: number, id: number, role: RoleId): Promise<boolean> {
    const member = this.#db.members.get(id);
    if (!member || member.projectId !== projectId) return false;
    member.role = role;
    return true;
  }

  async delete(projectId: number, id: number): Promise<boolean> {
    const member = this.#db.members.get(id);
    return member !== undefined && member.projectId === projectId && this.#db.members.delete(id);
  }

  #record(member: MemberRow): MemberRecord {
    const name = member.entityType === 'u' ? this.#db.users.get(member.entityId)?.username : undefined;
    return { id: member.id, projectId: member.projectId, entityId: member.entityId, entityType: member.entityType, entityName: name ?? '', role: member.role };
  }
}

export function addMember(db: InMemoryDb, projectId: number, userId: number, role: RoleId = Role.ProjectAdmin): number {
  const id = db.nextId('project_member');
  db.members.set(id, { id, projectId, entityId: userId, entityType: 'u', role });
  return id;
}

const robotFields: Record<string, Field<RobotRecord>> = {
  name: { get: (r) => r.name, type: 'text' },
  Level: { get: (r) => r.level, type: 'text' },
  level: { get: (r) => r.level, type: 'text' },
  ProjectID: { get: (r) => r.projectId, type: 'int' },
  project_id: { get: (r) => r.projectId, type: 'int' },
  id: { get: (r) => r.id, type: 'int' },
  creation_time: { get: (r) => r.creationTime, type: 'time' },
};

export class InMemoryRobotStore implements RobotStore {
  readonly #db: InMemoryDb;

  constructor(deps: { db: InMemoryDb }) {
    this.#db = deps.db;
  }

  async findById(id: number): Promise<RobotRecord | undefined> {
    const robot = this.#db.robots.get(id);
    return robot && structuredClone(robot);
  }

  async findByName(name: string): Promise<RobotRecord | undefined> {
    const robot = [...this.#db.robots.values()].find((r) => r.name === name);
    return robot && structuredClone(robot);
  }

  async list(query: ListQuery): Promise<{ items: RobotRecord[]; total: number }> {
    const page = listInMemory(this.#db.robots.values(), query, robotFields, [{ key: 'id', descending: false }]);
    return { items: page.items.map((r) => structuredClone(r)), total: page.total };
  }

  async create(robot: NewRobot): Promise<RobotRecord | undefined> {
    if ([...this.#db.robots.values()].some((r) => r.name === robot.name)) return undefined;
    const now = this.#db.now();
    const record: RobotRecord = { ...structuredClone(robot), id: this.#db.nextId('robot'), secretVersion: 0, creationTime: now, updateTime: now };
    this.#db.robots.set(record.id, record);
    return structuredClone(record);
  }

  async update(id: number, change: RobotChange): Promise<void> {
    const robot = this.#db.robots.get(id);
    if (robot) Object.assign(robot, structuredClone(change), { updateTime: this.#db.now() });
  }

  async setSecret(id: number, secretHash: string): Promise<void> {
    const robot = this.#db.robots.get(id);
    if (robot) Object.assign(robot, { secretHash, secretVersion: robot.secretVersion + 1, updateTime: this.#db.now() });
  }

  async delete(id: number): Promise<boolean> {
    return this.#db.robots.delete(id);
  }
}
