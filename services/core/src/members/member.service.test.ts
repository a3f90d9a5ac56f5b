import { beforeEach, describe, expect, it } from 'vitest';
import { ForbiddenError } from '../rbac/access.errors.js';
import { Role } from '../rbac/roles.js';
import { createTestCore, signUp, type TestCore } from '../testing/fakes/test-core.js';
import { MemberExistsError, MemberInvalidError, MemberNotFoundError } from './member.errors.js';

describe('MemberService', () => {
  let core: TestCore;
  let alice: Awaited<ReturnType<typeof signUp>>;
  let dave: Awaited<ReturnType<typeof signUp>>;
  const team = { name: 'team' };

  beforeEach(async () => {
    core = createTestCore();
    alice = await signUp(core, 'alice');
    dave = await signUp(core, 'dave');
    await core.projects.create(alice, { project_name: 'team' });
  });

  it('adds a user by name or id, once', async () => {
    const added = await core.members.add(alice, team, { role_id: Role.Guest, member_user: { username: 'dave' } });
    expect(await core.members.get(alice, team, added.id)).toMatchObject({ entityName: 'dave', entityType: 'u', role: Role.Guest });
    await expect(core.members.add(alice, team, { role_id: Role.Developer, member_user: { user_id: dave.id } })).rejects.toBeInstanceOf(MemberExistsError);
  });

  it('refuses unknown users, unknown roles and groups', async () => {
    await expect(core.members.add(alice, team, { role_id: Role.Guest, member_user: { username: 'nobody' } })).rejects.toBeInstanceOf(MemberInvalidError);
    await expect(core.members.add(alice, team, { role_id: 9, member_user: { username: 'dave' } })).rejects.toBeInstanceOf(MemberInvalidError);
    await expect(core.members.add(alice, team, { role_id: Role.Guest, member_group: { group_name: 'ops' } })).rejects.toBeInstanceOf(MemberInvalidError);
  });

  it('changes a member role, and the new role is what the member may do', async () => {
    const { id } = await core.members.add(alice, team, { role_id: Role.Guest, member_user: { username: 'dave' } });
    const project = { id: (await core.projects.find(team))!.id, name: 'team', public: false };
    expect(await core.rbac.can(dave, project, 'repository', 'push')).toBe(false);
    await core.members.updateRole(alice, team, id, Role.Developer);
    expect((await core.members.get(alice, team, id)).role).toBe(Role.Developer);
    expect(await core.rbac.can(dave, project, 'repository', 'push')).toBe(true);
    await expect(core.members.updateRole(alice, team, 999, Role.Developer)).rejects.toBeInstanceOf(MemberNotFoundError);
  });

  it('lets only project admins manage members', async () => {
    const { id } = await core.members.add(alice, team, { role_id: Role.Maintainer, member_user: { username: 'dave' } });
    await expect(core.members.updateRole(dave, team, id, Role.ProjectAdmin)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(core.members.remove(dave, team, id)).rejects.toBeInstanceOf(ForbiddenError);
    // A maintainer may still list them.
    expect((await core.members.list(dave, team, undefined, 1, 10)).total).toBe(2);
  });

  it('removes a member, who then no longer sees the private project', async () => {
    const { id } = await core.members.add(alice, team, { role_id: Role.Developer, member_user: { username: 'dave' } });
    await core.members.remove(alice, team, id);
    await expect(core.members.get(alice, team, id)).rejects.toBeInstanceOf(MemberNotFoundError);
    await expect(core.projects.require(dave, team)).rejects.toThrow(/not found/i);
  });

  it('lists members by id, filtered by name and paged', async () => {
    for (const name of ['erin', 'frank', 'fred']) {
      await signUp(core, name);
      await core.members.add(alice, team, { role_id: Role.Guest, member_user: { username: name } });
    }
    const all = await core.members.list(alice, team, undefined, 1, 10);
    expect(all.items.map((m) => m.entityName)).toEqual(['alice', 'erin', 'frank', 'fred']);
    const page = await core.members.list(alice, team, undefined, 2, 3);
    expect({ names: page.items.map((m) => m.entityName), total: page.total }).toEqual({ names: ['fred'], total: 4 });
    const filtered = await core.members.list(alice, team, 'FR', 1, 10);
    expect(filtered.items.map((m) => m.entityName)).toEqual(['frank', 'fred']);
  });
});
