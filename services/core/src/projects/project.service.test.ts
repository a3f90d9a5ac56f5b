import { beforeEach, describe, expect, it } from 'vitest';
import { pushImage as push } from '../testing/fakes/images.js';
import { listQuery } from '../testing/fakes/list.js';
import { admin, createTestCore, signUp, type TestCore } from '../testing/fakes/test-core.js';
import { ForbiddenError, UnauthenticatedError } from '../rbac/access.errors.js';
import { Role } from '../rbac/roles.js';
import { ProjectExistsError, ProjectInvalidError, ProjectNotEmptyError, ProjectNotFoundError } from './project.errors.js';

describe('ProjectService', () => {
  let core: TestCore;
  beforeEach(() => {
    core = createTestCore();
  });

  it('creates a private project owned by its creator, who becomes its project admin, and audits it', async () => {
    const alice = await signUp(core, 'alice');
    const project = await core.projects.create(alice, { project_name: 'team' });
    expect(project).toMatchObject({ name: 'team', ownerId: alice.id, ownerName: 'alice', metadata: { public: 'false' }, repoCount: 0 });
    expect(await core.rbac.roleOf(alice, { id: project.id, name: 'team', public: false })).toBe(Role.ProjectAdmin);
    expect(core.stores.audit.entries()).toMatchObject([{ operation: 'create', resourceType: 'project', resource: 'team', username: 'alice' }]);
  });

  it('refuses a taken name, an invalid name, anonymous callers and robots', async () => {
    const alice = await signUp(core, 'alice');
    await core.projects.create(alice, { project_name: 'team' });
    await expect(core.projects.create(alice, { project_name: 'team' })).rejects.toBeInstanceOf(ProjectExistsError);
    await expect(core.projects.create(alice, { project_name: 'Team' })).rejects.toBeInstanceOf(ProjectInvalidError);
    await expect(core.projects.create(alice, { project_name: 'a--b' })).rejects.toBeInstanceOf(ProjectInvalidError);
    await expect(core.projects.create({ kind: 'anonymous' }, { project_name: 'other' })).rejects.toBeInstanceOf(UnauthenticatedError);
    const robot = { kind: 'robot', id: 1, name: 'robot$x', level: 'system', projectId: null, permissions: [] } as const;
    await expect(core.projects.create(robot, { project_name: 'other' })).rejects.toBeInstanceOf(ForbiddenError);
  });

  it('lets only system admins create projects when creation is restricted', async () => {
    core = createTestCore({ creationRestriction: 'adminonly' });
    await signUp(core, 'admin', { sysadmin: true });
    const bob = await signUp(core, 'bob');
    await expect(core.projects.create(bob, { project_name: 'bobs' })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(core.projects.create(admin, { project_name: 'bobs' })).resolves.toMatchObject({ name: 'bobs' });
  });

  it('hides a private project from non-members as not found, and shows a public one to anyone', async () => {
    const alice = await signUp(core, 'alice');
    const bob = await signUp(core, 'bob');
    await core.projects.create(alice, { project_name: 'private' });
    await core.projects.create(alice, { project_name: 'library', public: true });
    await expect(core.projects.require(bob, { name: 'private' })).rejects.toBeInstanceOf(ProjectNotFoundError);
    await expect(core.projects.require({ kind: 'anonymous' }, { name: 'library' })).resolves.toMatchObject({ name: 'library' });
    // Bob may see the public project but not change it.
    await expect(core.projects.update(bob, { name: 'library' }, { metadata: { auto_scan: 'true' } })).rejects.toBeInstanceOf(ForbiddenError);
  });

  it('lists the projects a caller may see, filtered, sorted and paged', async () => {
    const alice = await signUp(core, 'alice');
    const bob = await signUp(core, 'bob');
    for (const name of ['alpha', 'beta', 'gamma']) await core.projects.create(alice, { project_name: name });
    await core.projects.create(bob, { project_name: 'bobs', public: true });

    const names = async (principal: Parameters<TestCore['projects']['list']>[0], filter = {}, query = listQuery()) => {
      const page = await core.projects.list(principal, filter, query);
      return { names: page.items.map((p) => p.name), total: page.total };
    };
    expect(await names(alice)).toEqual({ names: ['alpha', 'beta', 'gamma', 'bobs'], total: 4 });
    expect(await names(bob)).toEqual({ names: ['bobs'], total: 1 });
    expect(await names({ kind: 'anonymous' })).toEqual({ names: ['bobs'], total: 1 });
    expect(await names(alice, { name: 'a' })).toEqual({ names: ['alpha', 'beta', 'gamma'], total: 3 });
    expect(await names(alice, { public: true })).toEqual({ names: ['bobs'], total: 1 });
    expect(await names(alice, { owner: 'bob' })).toEqual({ names: ['bobs'], total: 1 });
    expect(await names(alice, {}, listQuery({ sort: [{ key: 'name', descending: true }], page: 2, pageSize: 2 }))).toEqual({ names: ['beta', 'alpha'], total: 4 });
  });

  it('cannot delete a project that holds repositories, and deletes it once they are gone', async () => {
    const alice = await signUp(core, 'alice');
    const project = await core.projects.create(alice, { project_name: 'team' });
    await push(core, 'team/app', 'v1');
    expect((await core.projects.find({ id: project.id }))?.repoCount).toBe(1);

    await expect(core.projects.delete(alice, { name: 'team' })).rejects.toBeInstanceOf(ProjectNotEmptyError);
    await core.repositories.delete(alice, 'team', 'app');
    await core.projects.delete(alice, { name: 'team' });
    expect(await core.projects.find({ name: 'team' })).toBeUndefined();
    expect(core.stores.audit.entries().map((e) => `${e.operation} ${e.resourceType} ${e.resource}`)).toEqual([
      'create project team',
      'delete repository team/app',
      'delete project team',
    ]);
  });

  it('does not let a developer delete the project', async () => {
    const alice = await signUp(core, 'alice');
    const dave = await signUp(core, 'dave');
    await core.projects.create(alice, { project_name: 'team' });
    await core.members.add(alice, { name: 'team' }, { role_id: Role.Developer, member_user: { username: 'dave' } });
    await expect(core.projects.delete(dave, { name: 'team' })).rejects.toBeInstanceOf(ForbiddenError);
  });

  it('updates metadata, refuses a rename and unknown keys, and normalises severity', async () => {
    const alice = await signUp(core, 'alice');
    await core.projects.create(alice, { project_name: 'team' });
    await core.projects.update(alice, { name: 'team' }, { public: true, metadata: { prevent_vul: true, severity: 'HIGH' } });
    expect((await core.projects.find({ name: 'team' }))?.metadata).toEqual({ public: 'true', prevent_vul: 'true', severity: 'high' });
    await expect(core.projects.update(alice, { name: 'team' }, { project_name: 'renamed' })).rejects.toBeInstanceOf(ProjectInvalidError);
    await expect(core.projects.update(alice, { name: 'team' }, { metadata: { colour: 'blue' } })).rejects.toBeInstanceOf(ProjectInvalidError);
    await expect(core.projects.update(alice, { name: 'team' }, { metadata: { auto_scan: 'yes' } })).rejects.toBeInstanceOf(ProjectInvalidError);
  });

  it('summarises members by role and the storage its artifacts use', async () => {
    const alice = await signUp(core, 'alice');
    await signUp(core, 'dave');
    await core.projects.create(alice, { project_name: 'team' });
    await core.members.add(alice, { name: 'team' }, { role_id: Role.Developer, member_user: { username: 'dave' } });
    await push(core, 'team/app', 'v1');
    const summary = await core.projects.summary(alice, { name: 'team' });
    expect(summary.members).toEqual({ [Role.ProjectAdmin]: 1, [Role.Developer]: 1 });
    expect(summary.storageUsed).toBeGreaterThan(0);
  });

  it('answers whether a name is taken to signed-in callers only', async () => {
    const alice = await signUp(core, 'alice');
    await core.projects.create(alice, { project_name: 'team' });
    expect(await core.projects.nameTaken(alice, 'team')).toBe(true);
    expect(await core.projects.nameTaken(alice, 'other')).toBe(false);
    await expect(core.projects.nameTaken({ kind: 'anonymous' }, 'team')).rejects.toBeInstanceOf(UnauthenticatedError);
  });
});
