import { beforeEach, describe, expect, it } from 'vitest';
import { ForbiddenError } from '../rbac/access.errors.js';
import type { Principal } from '../rbac/principal.js';
import { Role } from '../rbac/roles.js';
import { pushImage } from '../testing/fakes/images.js';
import { listQuery } from '../testing/fakes/list.js';
import { admin, createTestCore, signUp, type TestCore } from '../testing/fakes/test-core.js';
import { RepositoryNotFoundError } from './repository.errors.js';

describe('RepositoryService', () => {
  let core: TestCore;
  let alice: Awaited<ReturnType<typeof signUp>>;
  let bob: Awaited<ReturnType<typeof signUp>>;
  beforeEach(async () => {
    core = createTestCore();
    await core.users.ensureAdmin('Harbor12345');
    alice = await signUp(core, 'alice');
    bob = await signUp(core, 'bob');
    await core.projects.create(alice, { project_name: 'team' });
    await core.projects.create(bob, { project_name: 'library', public: true });
    await core.projects.create(bob, { project_name: 'secret' });
    await pushImage(core, 'team/app', 'v1');
    await pushImage(core, 'team/app', 'v2');
    await pushImage(core, 'team/db', 'v1');
    await pushImage(core, 'library/nginx', 'latest');
    await pushImage(core, 'secret/keys', 'v1');
  });

  it('shows a repository with its artifact count and project', async () => {
    expect(await core.repositories.get(alice, 'team', 'app')).toMatchObject({ name: 'team/app', projectName: 'team', projectPublic: false, artifactCount: 2 });
    await expect(core.repositories.get(alice, 'team', 'nothing')).rejects.toBeInstanceOf(RepositoryNotFoundError);
  });

  it('lists what the caller may see: own projects and public ones; everything for system admins', async () => {
    const names = async (principal: Parameters<TestCore['repositories']['listVisible']>[0]) => (await core.repositories.listVisible(principal, listQuery({ sort: [{ key: 'name', descending: false }] }))).items.map((r) => r.name);
    expect(await names(alice)).toEqual(['library/nginx', 'team/app', 'team/db']);
    expect(await names({ kind: 'anonymous' })).toEqual(['library/nginx']);
    expect(await names(admin)).toEqual(['library/nginx', 'secret/keys', 'team/app', 'team/db']);
    const robot: Principal = { kind: 'robot', id: 9, name: 'robot$team+ci', level: 'project', projectId: 1, permissions: [{ kind: 'project', namespace: 'team', access: [] }] };
    expect(await names(robot)).toEqual(['team/app', 'team/db']);
  });

  it('lists a project’s repositories newest first, paged', async () => {
    const page = await core.repositories.listInProject(alice, 'team', listQuery({ pageSize: 1 }));
    expect({ names: page.items.map((r) => r.name), total: page.total }).toEqual({ names: ['team/db'], total: 2 });
  });

  it('answers the catalog in byte order after `last`, limited to what the caller sees', async () => {
    expect(await core.repositories.catalog(alice, 10, undefined)).toEqual(['library/nginx', 'team/app', 'team/db']);
    expect(await core.repositories.catalog(alice, 1, 'library/nginx')).toEqual(['team/app']);
  });

  it('deletes a repository with every artifact, in the registry too, for maintainers only', async () => {
    const dave = await signUp(core, 'dave');
    await core.members.add(alice, { name: 'team' }, { role_id: Role.Developer, member_user: { username: 'dave' } });
    await expect(core.repositories.delete(dave, 'team', 'app')).rejects.toBeInstanceOf(ForbiddenError);
    await core.repositories.delete(alice, 'team', 'app');
    await expect(core.repositories.get(alice, 'team', 'app')).rejects.toBeInstanceOf(RepositoryNotFoundError);
    expect(core.registry.tagsOf('team/app')).toEqual([]);
    expect((await core.projects.find({ name: 'team' }))?.repoCount).toBe(1);
    await expect(core.repositories.delete(alice, 'team', 'app')).rejects.toBeInstanceOf(RepositoryNotFoundError);
  });

  it('updates the description', async () => {
    await core.repositories.updateDescription(alice, 'team', 'app', 'the app');
    expect((await core.repositories.get(alice, 'team', 'app')).description).toBe('the app');
    await expect(core.repositories.updateDescription(alice, 'team', 'none', 'x')).rejects.toBeInstanceOf(RepositoryNotFoundError);
  });

  it('counts public and private repositories the caller sees', async () => {
    expect(await core.repositories.statistics(alice)).toMatchObject({ publicRepos: 1, privateRepos: 2 });
    expect(await core.repositories.statistics(admin)).toMatchObject({ publicRepos: 1, privateRepos: 3 });
  });
});
