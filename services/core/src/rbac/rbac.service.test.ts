import { describe, expect, it } from 'vitest';
import type { Principal } from './principal.js';
import { RbacService, type MemberRoleReader } from './rbac.service.js';
import { Role, type RoleId } from './roles.js';
import { InMemoryDb } from '../testing/fakes/db.js';
import { InMemoryMemberStore } from '../testing/fakes/identity.stores.js';

const privateProject = { id: 1, name: 'team', public: false };
const publicProject = { id: 2, name: 'library', public: true };

function rbacWith(roles: Record<string, RoleId>): RbacService {
  const members: MemberRoleReader = { roleOf: async (projectId, userId) => roles[`${projectId}:${userId}`] };
  return new RbacService({ members });
}

const user = (id: number, sysadmin = false): Principal => ({ kind: 'user', id, username: `u${id}`, sysadmin });

describe('repository actions granted in tokens (Harbor grants the whole permitted set)', () => {
  const rbac = rbacWith({ '1:1': Role.ProjectAdmin, '1:2': Role.Maintainer, '1:3': Role.Developer, '1:4': Role.Guest, '1:5': Role.LimitedGuest });

  it.each([
    ['projectAdmin', 1, ['pull', 'push', 'delete']],
    ['maintainer', 2, ['pull', 'push', 'delete']],
    ['developer', 3, ['pull', 'push']],
    ['guest', 4, ['pull']],
    ['limitedGuest', 5, ['pull']],
    ['a non-member', 6, []],
  ])('%s gets %j in a private project', async (_role, id, actions) => {
    expect(await rbac.repositoryActions(user(id), privateProject)).toEqual(actions);
  });

  it('gives a system admin everything and anyone, anonymous included, pull on a public project', async () => {
    expect(await rbac.repositoryActions(user(9, true), privateProject)).toEqual(['pull', 'push', 'delete']);
    expect(await rbac.repositoryActions({ kind: 'anonymous' }, publicProject)).toEqual(['pull']);
    expect(await rbac.repositoryActions({ kind: 'anonymous' }, privateProject)).toEqual([]);
    expect(await rbac.repositoryActions(user(6), publicProject)).toEqual(['pull']);
  });
});

describe('API permissions', () => {
  const rbac = rbacWith({ '1:1': Role.ProjectAdmin, '1:2': Role.Maintainer, '1:3': Role.Developer, '1:4': Role.Guest, '1:5': Role.LimitedGuest });

  it('lets only project admins manage members, and hides members from limited guests', async () => {
    const canList = await Promise.all([1, 2, 3, 4, 5].map((id) => rbac.can(user(id), privateProject, 'member', 'list')));
    const canAdd = await Promise.all([1, 2, 3, 4, 5].map((id) => rbac.can(user(id), privateProject, 'member', 'create')));
    expect(canList).toEqual([true, true, true, true, false]);
    expect(canAdd).toEqual([true, false, false, false, false]);
  });

  it('lets maintainers delete artifacts but not developers', async () => {
    expect(await rbac.can(user(2), privateProject, 'artifact', 'delete')).toBe(true);
    expect(await rbac.can(user(3), privateProject, 'artifact', 'delete')).toBe(false);
  });

  it('keeps the audit log to project admins', async () => {
    expect(await rbac.can(user(1), privateProject, 'log', 'list')).toBe(true);
    expect(await rbac.can(user(2), privateProject, 'log', 'list')).toBe(false);
  });
});

describe('robot accounts', () => {
  const rbac = rbacWith({});
  const robot = (level: 'system' | 'project', projectId: number | null, namespace: string, actions: string[]): Principal => ({
    kind: 'robot',
    id: 1,
    name: 'robot$x',
    level,
    projectId,
    permissions: [{ kind: 'project', namespace, access: actions.map((action) => ({ resource: 'repository', action: action as 'pull', effect: 'allow' })) }],
  });

  it('get exactly their repository permissions, public project or not', async () => {
    expect(await rbac.repositoryActions(robot('project', 1, 'team', ['pull']), privateProject)).toEqual(['pull']);
    expect(await rbac.repositoryActions(robot('project', 1, 'team', ['pull', 'push']), privateProject)).toEqual(['pull', 'push']);
    expect(await rbac.repositoryActions(robot('project', 1, 'team', ['pull']), publicProject)).toEqual([]);
  });

  it('of one project get nothing in another, while system robots may span projects', async () => {
    expect(await rbac.repositoryActions(robot('project', 1, 'library', ['pull']), publicProject)).toEqual([]);
    expect(await rbac.repositoryActions(robot('system', null, '*', ['*']), publicProject)).toEqual(['pull', 'push', 'delete']);
  });

  it('honour deny entries', async () => {
    const denied: Principal = {
      kind: 'robot',
      id: 2,
      name: 'robot$y',
      level: 'system',
      projectId: null,
      permissions: [
        { kind: 'project', namespace: '*', access: [{ resource: '*', action: '*', effect: 'allow' }] },
        { kind: 'project', namespace: 'team', access: [{ resource: 'repository', action: 'push', effect: 'deny' }] },
      ],
    };
    expect(await rbac.repositoryActions(denied, privateProject)).toEqual(['pull', 'delete']);
  });
});

describe('roles kept in the member store', () => {
  it('follow a member’s role change and removal', async () => {
    const db = new InMemoryDb();
    const members = new InMemoryMemberStore({ db });
    const rbac = new RbacService({ members });
    const id = await members.addUser(1, 3, Role.Guest);
    expect(await rbac.repositoryActions(user(3), privateProject)).toEqual(['pull']);
    await members.updateRole(1, id!, Role.Maintainer);
    expect(await rbac.repositoryActions(user(3), privateProject)).toEqual(['pull', 'push', 'delete']);
    await members.delete(1, id!);
    expect(await rbac.repositoryActions(user(3), privateProject)).toEqual([]);
    expect(await rbac.repositoryActions(user(3), publicProject)).toEqual(['pull']);
  });
});
