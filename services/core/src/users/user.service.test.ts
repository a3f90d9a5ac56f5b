import { beforeEach, describe, expect, it } from 'vitest';
import { ForbiddenError, UnauthenticatedError } from '../rbac/access.errors.js';
import { Role } from '../rbac/roles.js';
import { listQuery } from '../testing/fakes/list.js';
import { admin, createTestCore, signUp, type TestCore } from '../testing/fakes/test-core.js';
import { PasswordRejectedError, UserExistsError, UserInvalidError, UserNotFoundError, WrongPasswordError } from './user.errors.js';

describe('UserService', () => {
  let core: TestCore;
  beforeEach(async () => {
    core = createTestCore();
    await core.users.ensureAdmin('Harbor12345');
  });

  it('creates admin once, keeping the password it was first given', async () => {
    await core.users.ensureAdmin('Other12345');
    const stored = await core.users.findForLogin('admin');
    expect(stored).toMatchObject({ id: 1, sysadmin: true });
    expect(await core.hasher.verify('Harbor12345', stored!.passwordHash)).toBe(true);
  });

  it('lets system admins create users, and anonymous callers only with self-registration', async () => {
    await expect(core.users.create(admin, { username: 'bob', email: 'bob@example.test', password: 'Passw0rd1' })).resolves.toMatchObject({ username: 'bob', sysadmin: false });
    await expect(core.users.create({ kind: 'anonymous' }, { username: 'carol', password: 'Passw0rd1' })).rejects.toBeInstanceOf(UnauthenticatedError);
    const open = createTestCore({ selfRegistration: true });
    await expect(open.users.create({ kind: 'anonymous' }, { username: 'carol', password: 'Passw0rd1' })).resolves.toMatchObject({ username: 'carol' });
  });

  it('refuses a taken username or email, a robot-like name, a bad email and a weak password', async () => {
    await core.users.create(admin, { username: 'bob', email: 'bob@example.test', password: 'Passw0rd1' });
    await expect(core.users.create(admin, { username: 'bob', password: 'Passw0rd1' })).rejects.toBeInstanceOf(UserExistsError);
    await expect(core.users.create(admin, { username: 'bobby', email: 'BOB@example.test', password: 'Passw0rd1' })).rejects.toBeInstanceOf(UserExistsError);
    await expect(core.users.create(admin, { username: 'robot$x', password: 'Passw0rd1' })).rejects.toBeInstanceOf(UserInvalidError);
    await expect(core.users.create(admin, { username: 'carol', email: 'not-an-email', password: 'Passw0rd1' })).rejects.toBeInstanceOf(UserInvalidError);
    await expect(core.users.create(admin, { username: 'carol', password: 'short' })).rejects.toBeInstanceOf(PasswordRejectedError);
  });

  it('changes a password with the old one, which then no longer works', async () => {
    const bob = await signUp(core, 'bob');
    await expect(core.users.changePassword(bob, bob.id, 'wrong', 'NewPassw0rd')).rejects.toBeInstanceOf(WrongPasswordError);
    await expect(core.users.changePassword(bob, bob.id, undefined, 'NewPassw0rd')).rejects.toBeInstanceOf(PasswordRejectedError);
    await core.users.changePassword(bob, bob.id, 'Passw0rd!', 'NewPassw0rd');
    const stored = await core.users.findById(bob.id);
    expect(await core.hasher.verify('NewPassw0rd', stored!.passwordHash)).toBe(true);
    expect(await core.hasher.verify('Passw0rd!', stored!.passwordHash)).toBe(false);
    expect(stored!.passwordVersion).toBe(1);
  });

  it('lets a system admin set anyone else’s password without the old one, but not a user another’s', async () => {
    const bob = await signUp(core, 'bob');
    const carol = await signUp(core, 'carol');
    await core.users.changePassword(admin, bob.id, undefined, 'AdminSet1x');
    await expect(core.users.changePassword(carol, bob.id, undefined, 'Carol5et1x')).rejects.toBeInstanceOf(ForbiddenError);
  });

  it('grants admin rights, but never to oneself', async () => {
    const bob = await signUp(core, 'bob');
    await core.users.setSysadmin(admin, bob.id, true);
    expect((await core.users.findById(bob.id))?.sysadmin).toBe(true);
    await expect(core.users.setSysadmin(admin, 1, false)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(core.users.setSysadmin(admin, 999, true)).rejects.toBeInstanceOf(UserNotFoundError);
  });

  it('deletes a user with their memberships, but never admin or oneself', async () => {
    const bob = await signUp(core, 'bob');
    await core.projects.create(admin, { project_name: 'team' });
    await core.members.add(admin, { name: 'team' }, { role_id: Role.Developer, member_user: { username: 'bob' } });
    await core.users.delete(admin, bob.id);
    expect(await core.users.findById(bob.id)).toBeUndefined();
    expect((await core.members.list(admin, { name: 'team' }, undefined, 1, 10)).items.map((m) => m.entityName)).toEqual(['admin']);
    const carol = await signUp(core, 'carol', { sysadmin: true });
    await expect(core.users.delete(carol, 1)).rejects.toThrow(/admin user cannot be deleted/);
    await expect(core.users.delete(carol, carol.id)).rejects.toBeInstanceOf(ForbiddenError);
  });

  it('lists users for system admins only, with q and sort, and searches by part of the name', async () => {
    for (const name of ['bob', 'carol', 'bobby']) await signUp(core, name);
    await expect(core.users.list(await signUp(core, 'dave'), listQuery())).rejects.toBeInstanceOf(ForbiddenError);
    const sorted = await core.users.list(admin, listQuery({ sort: [{ key: 'username', descending: false }], pageSize: 3 }));
    expect({ names: sorted.items.map((u) => u.username), total: sorted.total }).toEqual({ names: ['admin', 'bob', 'bobby'], total: 5 });
    const fuzzy = await core.users.list(admin, listQuery({ conditions: [{ key: 'username', kind: 'fuzzy', value: 'bob' }] }));
    expect(fuzzy.items.map((u) => u.username)).toEqual(['bob', 'bobby']);
    await expect(core.users.list(admin, listQuery({ conditions: [{ key: 'password_hash', kind: 'exact', value: 'x' }] }))).rejects.toThrow(/unsupported key/);
    const search = await core.users.search(await signUp(core, 'erin'), 'BO', 1, 10);
    expect(search.items.map((u) => u.username)).toEqual(['bob', 'bobby']);
  });

  it('shows users their own account and nobody else’s', async () => {
    const bob = await signUp(core, 'bob');
    const carol = await signUp(core, 'carol');
    await expect(core.users.get(bob, bob.id)).resolves.toMatchObject({ username: 'bob' });
    await expect(core.users.get(bob, carol.id)).rejects.toBeInstanceOf(ForbiddenError);
    await core.users.updateProfile(bob, bob.id, { realname: 'Bob B' });
    expect(await core.users.current(bob)).toMatchObject({ realname: 'Bob B', email: 'bob@example.test' });
  });
});
