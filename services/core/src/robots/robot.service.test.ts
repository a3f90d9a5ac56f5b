import { beforeEach, describe, expect, it } from 'vitest';
import { ForbiddenError } from '../rbac/access.errors.js';
import { Role } from '../rbac/roles.js';
import { LoginService } from '../sessions/login.service.js';
import { LoginFailedError } from '../sessions/session.errors.js';
import { listQuery } from '../testing/fakes/list.js';
import { InMemorySessionStore } from '../testing/fakes/ports.js';
import { admin, createTestCore, ROBOT_PREFIX, signUp, type TestCore } from '../testing/fakes/test-core.js';
import { RobotExistsError, RobotInvalidError, RobotNotFoundError } from './robot.errors.js';

const pullPush = (namespace: string) => [{ kind: 'project', namespace, access: [{ resource: 'repository', action: 'pull' }, { resource: 'repository', action: 'push' }] }];

function loginFor(core: TestCore): LoginService {
  return new LoginService({
    users: core.users,
    robots: core.robots,
    sessions: new InMemorySessionStore(),
    hasher: core.hasher,
    logger: core.logger,
    robotNamePrefix: ROBOT_PREFIX,
    maxFailures: 100,
    maxAddressFailures: 100,
    lockoutMs: 60_000,
    sessionTtlMs: 60_000,
  });
}

describe('RobotService', () => {
  let core: TestCore;
  let alice: Awaited<ReturnType<typeof signUp>>;
  beforeEach(async () => {
    core = createTestCore();
    await core.users.ensureAdmin('Harbor12345');
    alice = await signUp(core, 'alice');
    await core.projects.create(alice, { project_name: 'team' });
  });

  it('creates a project robot named after its project, with a generated secret that logs in', async () => {
    const { robot, secret } = await core.robots.create(alice, { name: 'ci', level: 'project', permissions: pullPush('team') });
    expect(core.robots.fullName(robot)).toBe('robot$team+ci');
    expect(robot).toMatchObject({ level: 'project', projectId: 1, duration: 30, disabled: false });
    expect(robot.expiresAt).toBe(Date.parse('2026-01-01T00:00:00Z') / 1000 + 30 * 86_400);
    await expect(loginFor(core).authenticate('robot$team+ci', secret)).resolves.toMatchObject({ kind: 'robot', name: 'robot$team+ci' });
    await expect(core.robots.create(alice, { name: 'ci', level: 'project', permissions: pullPush('team') })).rejects.toBeInstanceOf(RobotExistsError);
  });

  it('regenerating the secret ends the old one', async () => {
    const { robot, secret: first } = await core.robots.create(alice, { name: 'ci', level: 'project', permissions: pullPush('team') });
    const second = await core.robots.refreshSecret(alice, robot.id, undefined);
    expect(second).not.toBe(first);
    const login = loginFor(core);
    await expect(login.authenticate('robot$team+ci', first)).rejects.toBeInstanceOf(LoginFailedError);
    await expect(login.authenticate('robot$team+ci', second)).resolves.toMatchObject({ kind: 'robot' });
    expect((await core.robots.get(alice, robot.id)).secretVersion).toBe(1);
    // A secret the caller chooses is not shown back.
    expect(await core.robots.refreshSecret(alice, robot.id, 'Chosen5ecret')).toBe('');
    await expect(login.authenticate('robot$team+ci', 'Chosen5ecret')).resolves.toMatchObject({ kind: 'robot' });
  });

  it('a disabled or expired robot cannot log in', async () => {
    const { robot, secret } = await core.robots.create(alice, { name: 'ci', level: 'project', permissions: pullPush('team') });
    await core.robots.update(alice, robot.id, { disable: true });
    await expect(loginFor(core).authenticate('robot$team+ci', secret)).rejects.toBeInstanceOf(LoginFailedError);
    expect(core.robots.usable({ ...robot, expiresAt: Date.parse('2025-12-31T00:00:00Z') / 1000 })).toBe(false);
    expect(core.robots.usable({ ...robot, expiresAt: -1 })).toBe(true);
  });

  it('keeps system robots to system admins, and a project robot to its own project', async () => {
    await expect(core.robots.create(alice, { name: 'all', level: 'system', permissions: pullPush('*') })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(core.robots.create(admin, { name: 'all', level: 'system', permissions: pullPush('*') })).resolves.toMatchObject({ robot: { name: 'all' } });
    await expect(core.robots.create(alice, { name: 'ci', level: 'project', permissions: pullPush('*') })).rejects.toBeInstanceOf(RobotInvalidError);
    const { robot } = await core.robots.create(alice, { name: 'ci', level: 'project', permissions: pullPush('team') });
    await core.projects.create(alice, { project_name: 'other' });
    await expect(core.robots.update(alice, robot.id, { permissions: pullPush('other') })).rejects.toBeInstanceOf(RobotInvalidError);
  });

  it('hides another project’s robots as not found, and forbids a developer to manage them', async () => {
    const { robot } = await core.robots.create(alice, { name: 'ci', level: 'project', permissions: pullPush('team') });
    const bob = await signUp(core, 'bob');
    await expect(core.robots.get(bob, robot.id)).rejects.toBeInstanceOf(RobotNotFoundError);
    await core.members.add(alice, { name: 'team' }, { role_id: Role.Developer, member_user: { username: 'bob' } });
    await expect(core.robots.delete(bob, robot.id)).rejects.toBeInstanceOf(ForbiddenError);
    await core.robots.delete(alice, robot.id);
    await expect(core.robots.get(alice, robot.id)).rejects.toBeInstanceOf(RobotNotFoundError);
  });

  it('lists a project’s robots for its admins, everything for system admins', async () => {
    await core.robots.create(alice, { name: 'ci', level: 'project', permissions: pullPush('team') });
    await core.robots.create(alice, { name: 'cd', level: 'project', permissions: pullPush('team') });
    await core.robots.create(admin, { name: 'all', level: 'system', permissions: pullPush('*') });
    await expect(core.robots.list(alice, listQuery())).rejects.toBeInstanceOf(ForbiddenError);
    const own = await core.robots.list(alice, listQuery({ conditions: [{ key: 'ProjectID', kind: 'exact', value: '1' }] }));
    expect(own.items.map((r) => r.name)).toEqual(['team+ci', 'team+cd']);
    const sorted = await core.robots.list(admin, listQuery({ sort: [{ key: 'name', descending: false }] }));
    expect(sorted.items.map((r) => r.name)).toEqual(['all', 'team+cd', 'team+ci']);
  });
});
