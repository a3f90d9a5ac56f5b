import { beforeEach, describe, expect, it } from 'vitest';
import { ForbiddenError } from '../rbac/access.errors.js';
import { ProjectNotFoundError } from '../projects/project.errors.js';
import { Role } from '../rbac/roles.js';
import { pushImage } from '../testing/fakes/images.js';
import { listQuery } from '../testing/fakes/list.js';
import { createTestCore, signUp, type TestCore } from '../testing/fakes/test-core.js';
import { ArtifactInvalidError, ArtifactNotFoundError, TagExistsError, TagNotFoundError } from './artifact.errors.js';

describe('ArtifactService', () => {
  let core: TestCore;
  let alice: Awaited<ReturnType<typeof signUp>>;
  beforeEach(async () => {
    core = createTestCore();
    alice = await signUp(core, 'alice');
    await core.projects.create(alice, { project_name: 'team' });
  });

  it('finds an artifact by tag and by digest, with its tags', async () => {
    const digest = await pushImage(core, 'team/app', 'v1');
    const byTag = await core.artifacts.get(alice, 'team', 'app', 'v1');
    expect(byTag).toMatchObject({ digest, type: 'IMAGE', repositoryName: 'team/app' });
    expect(byTag.tags.map((t) => t.name)).toEqual(['v1']);
    expect((await core.artifacts.get(alice, 'team', 'app', digest)).id).toBe(byTag.id);
    await expect(core.artifacts.get(alice, 'team', 'app', 'v2')).rejects.toBeInstanceOf(ArtifactNotFoundError);
  });

  it('lists a repository’s artifacts newest first, and as asked', async () => {
    const first = await pushImage(core, 'team/app', 'v1');
    const second = await pushImage(core, 'team/app', 'v2');
    const third = await pushImage(core, 'team/app', 'v3');
    const digests = async (query = listQuery()) => (await core.artifacts.list(alice, 'team', 'app', query)).items.map((a) => a.digest);
    expect(await digests()).toEqual([third, second, first]);
    expect(await digests(listQuery({ sort: [{ key: 'push_time', descending: false }], page: 2, pageSize: 2 }))).toEqual([third]);
    expect(await digests(listQuery({ conditions: [{ key: 'tags', kind: 'fuzzy', value: 'v2' }] }))).toEqual([second]);
  });

  it('adds a tag through the registry, and refuses one that exists or is invalid', async () => {
    await pushImage(core, 'team/app', 'v1');
    await core.artifacts.addTag(alice, 'team', 'app', 'v1', 'stable');
    expect(core.registry.tagsOf('team/app')).toEqual(['stable', 'v1']);
    expect((await core.artifacts.get(alice, 'team', 'app', 'stable')).tags.map((t) => t.name)).toEqual(['stable', 'v1']);
    await expect(core.artifacts.addTag(alice, 'team', 'app', 'v1', 'stable')).rejects.toBeInstanceOf(TagExistsError);
    await expect(core.artifacts.addTag(alice, 'team', 'app', 'v1', '-bad')).rejects.toBeInstanceOf(ArtifactInvalidError);
  });

  it('deletes a tag, keeping the artifact', async () => {
    const digest = await pushImage(core, 'team/app', 'v1');
    await core.artifacts.addTag(alice, 'team', 'app', 'v1', 'stable');
    await core.artifacts.deleteTag(alice, 'team', 'app', digest, 'v1');
    expect(core.registry.tagsOf('team/app')).toEqual(['stable']);
    expect((await core.artifacts.get(alice, 'team', 'app', digest)).tags.map((t) => t.name)).toEqual(['stable']);
    await expect(core.artifacts.deleteTag(alice, 'team', 'app', digest, 'v1')).rejects.toBeInstanceOf(TagNotFoundError);
  });

  it('deletes an artifact from the registry and the projection, and audits it', async () => {
    const digest = await pushImage(core, 'team/app', 'v1');
    await core.artifacts.delete(alice, 'team', 'app', 'v1');
    expect(core.registry.has('team/app', digest)).toBe(false);
    await expect(core.artifacts.get(alice, 'team', 'app', digest)).rejects.toBeInstanceOf(ArtifactNotFoundError);
    expect(core.stores.audit.entries().at(-1)).toMatchObject({ operation: 'delete', resourceType: 'artifact', resource: `team/app@${digest}` });
  });

  it('lets developers push tags but only maintainers delete artifacts; outsiders see nothing', async () => {
    await pushImage(core, 'team/app', 'v1');
    const dave = await signUp(core, 'dave');
    const { id } = await core.members.add(alice, { name: 'team' }, { role_id: Role.Developer, member_user: { username: 'dave' } });
    await core.artifacts.addTag(dave, 'team', 'app', 'v1', 'by-dave');
    await expect(core.artifacts.delete(dave, 'team', 'app', 'v1')).rejects.toBeInstanceOf(ForbiddenError);
    await core.members.updateRole(alice, { name: 'team' }, id, Role.Maintainer);
    await core.artifacts.delete(dave, 'team', 'app', 'v1');
    const erin = await signUp(core, 'erin');
    await expect(core.artifacts.list(erin, 'team', 'app', listQuery())).rejects.toBeInstanceOf(ProjectNotFoundError);
  });

  it('pages an artifact’s tags', async () => {
    await pushImage(core, 'team/app', 'a');
    for (const tag of ['b', 'c', 'd']) await core.artifacts.addTag(alice, 'team', 'app', 'a', tag);
    const page = await core.artifacts.listTags(alice, 'team', 'app', 'a', listQuery({ page: 2, pageSize: 3 }));
    expect({ tags: page.items.map((t) => t.name), total: page.total }).toEqual({ tags: ['d'], total: 4 });
  });
});
