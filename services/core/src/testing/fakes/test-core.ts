import { Secret } from '@wharf/config';
import { createLogger } from '@wharf/logging';
import { ArtifactSyncService } from '../../artifacts/artifact-sync.service.js';
import { ArtifactService } from '../../artifacts/artifact.service.js';
import { AuditService } from '../../audit/audit.service.js';
import { MemberService } from '../../members/member.service.js';
import { ProjectService } from '../../projects/project.service.js';
import { principalName, type Principal } from '../../rbac/principal.js';
import { RbacService } from '../../rbac/rbac.service.js';
import { RegistryService } from '../../registries/registry.service.js';
import type { RegistryClient } from '../../registry/registry.client.js';
import { PolicyService } from '../../replication/policy.service.js';
import { ReplicationScheduler } from '../../replication/schedule.service.js';
import { RepositoryService } from '../../repositories/repository.service.js';
import { RobotService } from '../../robots/robot.service.js';
import { ExecutionService } from '../../tasks/execution.service.js';
import { TaskService } from '../../tasks/task.service.js';
import { UserService } from '../../users/user.service.js';
import { InMemoryArtifactStore, InMemoryRepositoryStore } from './artifact.stores.js';
import { InMemoryDb } from './db.js';
import { InMemoryMemberStore, InMemoryRobotStore, InMemoryUserStore } from './identity.stores.js';
import { FakeAdapter, FakeJobService, FakePasswordHasher, fakeCipher, InMemoryRegistry } from './ports.js';
import { InMemoryAuditStore, InMemoryProjectStore, InMemoryScanSummaryStore } from './project.stores.js';
import { InMemoryPolicyStore, InMemoryRegistryEndpointStore, InMemoryScheduleStore } from './replication.stores.js';
import { InMemoryExecutionStore, InMemoryTaskStore } from './task.stores.js';

/** Every core store over one in-memory database. */
export function createFakeStores(db = new InMemoryDb()) {
  return {
    db,
    users: new InMemoryUserStore({ db }),
    members: new InMemoryMemberStore({ db }),
    robots: new InMemoryRobotStore({ db }),
    projects: new InMemoryProjectStore({ db }),
    audit: new InMemoryAuditStore({ db }),
    scans: new InMemoryScanSummaryStore({ db }),
    artifacts: new InMemoryArtifactStore({ db }),
    repositories: new InMemoryRepositoryStore({ db }),
    registries: new InMemoryRegistryEndpointStore({ db }),
    policies: new InMemoryPolicyStore({ db }),
    schedules: new InMemoryScheduleStore({ db }),
    executions: new InMemoryExecutionStore({ db }),
    tasks: new InMemoryTaskStore({ db }),
  };
}

export type FakeStores = ReturnType<typeof createFakeStores>;

export const ROBOT_PREFIX = 'robot$';

/**
 * core's services wired as main.ts wires them, over in-memory stores and fake ports
 * (registry-facade, jobservice, the adapter service): immich's `newTestService`.
 */
export function createTestCore(options: { creationRestriction?: 'everyone' | 'adminonly'; selfRegistration?: boolean } = {}) {
  const stores = createFakeStores();
  const logger = createLogger({ service: 'core', level: 'error', format: 'json' });
  const hasher = new FakePasswordHasher();
  const registry = new InMemoryRegistry();
  const jobs = new FakeJobService();
  const adapter = new FakeAdapter();
  const rbac = new RbacService({ members: stores.members });
  const audit = new AuditService({ audit: stores.audit });
  const users = new UserService({ users: stores.users, hasher, logger, selfRegistration: options.selfRegistration ?? false, robotNamePrefix: ROBOT_PREFIX });
  const projects = new ProjectService({ projects: stores.projects, rbac, audit, creationRestriction: options.creationRestriction ?? 'everyone', logger, principalName });
  const members = new MemberService({ members: stores.members, projects, users });
  const robots = new RobotService({ robots: stores.robots, projects, hasher, logger, namePrefix: ROBOT_PREFIX, now: () => new Date('2026-01-01T00:00:00Z') });
  const registryClient = registry as unknown as RegistryClient;
  const sync = new ArtifactSyncService({ registry: registryClient, artifacts: stores.artifacts, projects, logger });
  const artifacts = new ArtifactService({ artifacts: stores.artifacts, projects, registry: registryClient, sync, audit });
  const repositories = new RepositoryService({ repositories: stores.repositories, projects, artifacts, audit });
  const tasks = new TaskService({ tasks: stores.tasks, jobs, jobSpecs: fakeCipher, checkIns: {}, coreInternalUrl: 'http://core.test', logger });
  const executions = new ExecutionService({ executions: stores.executions, tasks, logger });
  const registries = new RegistryService({ registries: stores.registries, cipher: fakeCipher, adapter, localUrl: 'http://core.test', secret: new Secret('suite-secret'), logger });
  const scheduler = new ReplicationScheduler({ schedules: stores.schedules, executions, tasks, logger });
  const policies = new PolicyService({ policies: stores.policies, registries, executions, scheduler, logger });
  return { stores, db: stores.db, logger, hasher, registry, jobs, adapter, rbac, audit, users, projects, members, robots, sync, artifacts, repositories, tasks, executions, registries, scheduler, policies };
}

export type TestCore = ReturnType<typeof createTestCore>;

export const admin: Principal = { kind: 'user', id: 1, username: 'admin', sysadmin: true };

/** A user principal for a stored user. */
export const asUser = (user: { id: number; username: string; sysadmin?: boolean }): Principal => ({ kind: 'user', id: user.id, username: user.username, sysadmin: user.sysadmin ?? false });

/** Creates a user in the store (admin is user 1 when created first) and returns them as a principal. */
export async function signUp(core: TestCore, username: string, options: { sysadmin?: boolean } = {}): Promise<Principal & { kind: 'user' }> {
  const user = await core.stores.users.create({ username, email: `${username}@example.test`, realname: '', comment: '', passwordHash: await core.hasher.hash('Passw0rd!'), sysadmin: options.sysadmin ?? false });
  if (!user) throw new Error(`user ${username} exists`);
  return { kind: 'user', id: user.id, username: user.username, sysadmin: user.sysadmin };
}
