import { beforeEach, describe, expect, it } from 'vitest';
import { ForbiddenError } from '../rbac/access.errors.js';
import { listQuery } from '../testing/fakes/list.js';
import { admin, createTestCore, signUp, type TestCore } from '../testing/fakes/test-core.js';
import { PolicyExistsError, PolicyInvalidError, PolicyNotFoundError, PolicyPreconditionError, PolicyScheduleError } from './policy.errors.js';
import type { PolicyRequest } from './policy.schemas.js';
import { REPLICATION } from './schedule.service.js';

describe('PolicyService (replication policies)', () => {
  let core: TestCore;
  let hub: number;
  beforeEach(async () => {
    core = createTestCore();
    hub = (await core.registries.create(admin, { name: 'hub', type: 'docker-registry', url: 'https://hub.example.test' })).id;
  });

  const request = (overrides: Partial<PolicyRequest> = {}): PolicyRequest => ({ name: 'push-all', dest_registry: { id: hub }, trigger: { type: 'manual' }, enabled: true, ...overrides });

  it('creates a policy to a known registry, once per name', async () => {
    const policy = await core.policies.create(admin, request());
    expect(policy).toMatchObject({ name: 'push-all', srcRegistryId: 0, destRegistryId: hub, trigger: { type: 'manual' } });
    await expect(core.policies.create(admin, request())).rejects.toBeInstanceOf(PolicyExistsError);
    await expect(core.policies.create(admin, request({ name: 'other', dest_registry: { id: 99 } }))).rejects.toBeInstanceOf(PolicyInvalidError);
    await expect(core.policies.create(await signUp(core, 'alice'), request({ name: 'x' }))).rejects.toBeInstanceOf(ForbiddenError);
  });

  it('registers a scheduled policy’s periodic job, and stops it when the policy becomes manual', async () => {
    const policy = await core.policies.create(admin, request({ trigger: { type: 'scheduled', trigger_settings: { cron: '0 0 * * * *' } } }));
    const schedule = await core.scheduler.scheduled(policy.id);
    expect(schedule).toMatchObject({ cron: '0 0 * * * *' });
    const periodic = [...core.jobs.jobs.values()];
    expect(periodic).toHaveLength(1);
    expect(periodic[0]?.launch).toMatchObject({ name: 'SCHEDULER', metadata: { kind: 'Periodic', cron_spec: '0 0 * * * *' } });

    await core.policies.update(admin, policy.id, request({ trigger: { type: 'manual' } }));
    expect(await core.scheduler.scheduled(policy.id)).toBeUndefined();
    expect(core.jobs.stopped).toEqual([periodic[0]?.id]);
  });

  it('refuses an invalid cron', async () => {
    await expect(core.policies.create(admin, request({ trigger: { type: 'scheduled', trigger_settings: { cron: '* * * * *' } } }))).rejects.toBeInstanceOf(PolicyInvalidError);
  });

  it('does not keep a scheduled policy jobservice refused to schedule', async () => {
    core.jobs.failure = new Error('jobservice refused the cron');
    await expect(core.policies.create(admin, request({ trigger: { type: 'scheduled', trigger_settings: { cron: '0 0 * * * *' } } }))).rejects.toBeInstanceOf(PolicyScheduleError);
    expect((await core.policies.list(admin, listQuery())).total).toBe(0);
  });

  it('refuses to delete a policy with a running execution, and deletes it once that ended', async () => {
    const policy = await core.policies.create(admin, request());
    const execution = await core.executions.create(REPLICATION, policy.id, 'MANUAL');
    await expect(core.policies.delete(admin, policy.id)).rejects.toBeInstanceOf(PolicyPreconditionError);
    await core.executions.markDone(execution.id);
    await core.policies.delete(admin, policy.id);
    await expect(core.policies.get(admin, policy.id)).rejects.toBeInstanceOf(PolicyNotFoundError);
  });

  it('lists policies by name part, sorted and paged, and the event-based ones replicating from here', async () => {
    await core.policies.create(admin, request({ name: 'nightly' }));
    await core.policies.create(admin, request({ name: 'on-push', trigger: { type: 'event_based' } }));
    await core.policies.create(admin, request({ name: 'on-push-off', trigger: { type: 'event_based' }, enabled: false }));
    const page = await core.policies.list(admin, listQuery({ sort: [{ key: 'name', descending: false }], pageSize: 1 }), 'push');
    expect({ names: page.items.map((p) => p.name), total: page.total }).toEqual({ names: ['on-push'], total: 2 });
    expect((await core.policies.eventBased()).map((p) => p.name)).toEqual(['on-push']);
  });
});
