import { beforeEach, describe, expect, it } from 'vitest';
import { UnauthenticatedError } from '../rbac/access.errors.js';
import { Role } from '../rbac/roles.js';
import { listQuery } from '../testing/fakes/list.js';
import { admin, createTestCore, signUp, type TestCore } from '../testing/fakes/test-core.js';

describe('AuditService', () => {
  let core: TestCore;
  beforeEach(() => {
    core = createTestCore();
  });

  it('shows system admins every entry, project admins their projects’, and others nothing', async () => {
    const alice = await signUp(core, 'alice');
    const bob = await signUp(core, 'bob');
    await core.projects.create(alice, { project_name: 'team' });
    await core.projects.create(bob, { project_name: 'other' });
    await core.members.add(alice, { name: 'team' }, { role_id: Role.Developer, member_user: { username: 'bob' } });
    const resources = async (principal: Parameters<TestCore['audit']['list']>[0]) => (await core.audit.list(principal, listQuery())).items.map((e) => e.resource);
    expect(await resources(admin)).toEqual(['other', 'team']);
    expect(await resources(alice)).toEqual(['team']);
    expect(await resources(bob)).toEqual(['other']);
    await expect(core.audit.list({ kind: 'anonymous' }, listQuery())).rejects.toBeInstanceOf(UnauthenticatedError);
  });

  it('keeps an entry recorded twice under one key once, and sorts and filters as asked', async () => {
    await core.audit.record({ projectId: 1, operation: 'create', resourceType: 'artifact', resource: 'p/a:v1', username: 'alice', dedupeKey: 'k1' });
    await core.audit.record({ projectId: 1, operation: 'create', resourceType: 'artifact', resource: 'p/a:v1', username: 'alice', dedupeKey: 'k1' });
    await core.audit.record({ projectId: 1, operation: 'delete', resourceType: 'artifact', resource: 'p/a:v1', username: 'bob' });
    const all = await core.audit.listForProject(1, listQuery({ sort: [{ key: 'op_time', descending: false }] }));
    expect(all.items.map((e) => e.operation)).toEqual(['create', 'delete']);
    const bobs = await core.audit.listForProject(1, listQuery({ conditions: [{ key: 'username', kind: 'exact', value: 'bob' }] }));
    expect(bobs.total).toBe(1);
  });
});
