import { beforeEach, describe, expect, it } from 'vitest';
import { ForbiddenError } from '../rbac/access.errors.js';
import { listQuery } from '../testing/fakes/list.js';
import { admin, createTestCore, signUp, type TestCore } from '../testing/fakes/test-core.js';
import { RegistryExistsError, RegistryInUseError, RegistryInvalidError, RegistryNotFoundError, RegistryUnhealthyError } from './registry.errors.js';

describe('RegistryService (replication endpoints)', () => {
  let core: TestCore;
  beforeEach(() => {
    core = createTestCore();
  });

  const create = (name: string, url = `https://${name}.example.test`) =>
    core.registries.create(admin, { name, type: 'docker-registry', url, credential: { type: 'basic', access_key: 'me', access_secret: 'hunter2' } });

  it('stores a registry with its credential sealed, and opens it again', async () => {
    const created = await create('hub', 'hub.example.test/');
    expect(created).toMatchObject({ name: 'hub', url: 'https://hub.example.test', credential: { type: 'basic', accessKey: 'me', accessSecret: 'hunter2' } });
    const stored = await core.stores.registries.findById(created.id);
    expect(stored?.credentialSealed?.startsWith('sealed:')).toBe(true);
    expect(await core.registries.get(admin, created.id)).toMatchObject({ credential: { accessSecret: 'hunter2' } });
  });

  it('refuses a taken name, an unsupported type, credentials in the url, and non-admins', async () => {
    await create('hub');
    await expect(create('hub')).rejects.toBeInstanceOf(RegistryExistsError);
    await expect(core.registries.create(admin, { name: 'q', type: 'quay', url: 'https://quay.io' })).rejects.toBeInstanceOf(RegistryInvalidError);
    await expect(core.registries.create(admin, { name: 'u', type: 'harbor', url: 'https://me:pw@example.test' })).rejects.toBeInstanceOf(RegistryInvalidError);
    const alice = await signUp(core, 'alice');
    await expect(core.registries.list(alice, listQuery())).rejects.toBeInstanceOf(ForbiddenError);
  });

  it('keeps the stored secret when an update sends the mask, and renames unless the name is taken', async () => {
    const hub = await create('hub');
    await create('mirror');
    const updated = await core.registries.update(admin, hub.id, { access_key: 'me2', access_secret: '*****', description: 'docker hub' });
    expect(updated).toMatchObject({ description: 'docker hub', credential: { accessKey: 'me2', accessSecret: 'hunter2' } });
    await expect(core.registries.update(admin, hub.id, { name: 'mirror' })).rejects.toBeInstanceOf(RegistryExistsError);
    await expect(core.registries.update(admin, 0, { name: 'local' })).rejects.toBeInstanceOf(RegistryNotFoundError);
  });

  it('cannot delete a registry a replication policy uses', async () => {
    const hub = await create('hub');
    await core.policies.create(admin, { name: 'push-all', dest_registry: { id: hub.id }, trigger: { type: 'manual' } });
    await expect(core.registries.delete(admin, hub.id)).rejects.toBeInstanceOf(RegistryInUseError);
    const spare = await create('spare');
    await core.registries.delete(admin, spare.id);
    await expect(core.registries.get(admin, spare.id)).rejects.toBeInstanceOf(RegistryNotFoundError);
  });

  it('records the health a ping finds, and answers unhealthy with the reason', async () => {
    const hub = await create('hub');
    core.adapter.healthOf.set(hub.url, { status: 'unhealthy', detail: 'connection refused' } as never);
    await expect(core.registries.ping(admin, { id: hub.id })).rejects.toBeInstanceOf(RegistryUnhealthyError);
    expect((await core.registries.get(admin, hub.id)).status).toBe('unhealthy');
    core.adapter.healthOf.delete(hub.url);
    await core.registries.ping(admin, { id: hub.id });
    expect((await core.registries.get(admin, hub.id)).status).toBe('healthy');
  });

  it('lists registries by name part, sorted and paged; id 0 is this Wharf', async () => {
    for (const name of ['hub-a', 'hub-b', 'mirror']) await create(name);
    const page = await core.registries.list(admin, listQuery({ sort: [{ key: 'name', descending: true }], pageSize: 1 }), 'hub');
    expect({ names: page.items.map((r) => r.name), total: page.total }).toEqual({ names: ['hub-b'], total: 2 });
    expect(await core.registries.require(0)).toMatchObject({ id: 0, name: 'Local', type: 'harbor' });
  });
});
