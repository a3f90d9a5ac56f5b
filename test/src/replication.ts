import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { MANIFEST_ACCEPT } from '@wharf/oci';
import type { HarborClient, TestBlob, TestImage } from '@wharf/testing';
import { startDistribution, type Distribution } from '../../services/adapter/test/factories/registries.js';
import { requireCommands } from './harbor-checks.js';
import { startSuite, type Suite } from './suite.js';
import { createTempDir, type TempDir } from './temp-dir.js';

/**
 * Replication as an admin drives it through the Harbor API (`/api/v2.0/registries`,
 * `/replication/policies`, `/replication/executions`), and the foreign registry it
 * replicates with: Debian's docker-registry (CNCF distribution), started by the adapter's
 * own test factory so that there is one copy of it.
 */
export { startDistribution, type Distribution } from '../../services/adapter/test/factories/registries.js';

/** A suite, a docker-registry with basic auth beside it, and that registry's endpoint in Wharf. */
export interface ReplicationBed {
  dir: TempDir;
  suite: Suite;
  dist: Distribution;
  registryId: number;
  stop(): Promise<void>;
}

/** Starts a {@link ReplicationBed}; `extra` runs alongside (e.g. writing an image layout into the bed's directory). */
export async function startReplicationBed(label: string, extra?: (dir: string) => Promise<unknown>, options: { env?: NodeJS.ProcessEnv } = {}): Promise<ReplicationBed> {
  requireCommands({ 'docker-registry': 'docker-registry' });
  const dir = await createTempDir(label);
  await mkdir(join(dir.path, 'dist'));
  const [suite, dist] = await Promise.all([startSuite(label, { env: options.env }), startDistribution(join(dir.path, 'dist'), { kind: 'basic' }), extra?.(dir.path)]);
  const registryId = await createRegistryEndpoint(suite.admin, 'distribution', dist);
  return {
    dir,
    suite,
    dist,
    registryId,
    async stop() {
      try {
        await suite.stop();
        await dist.stop();
      } finally {
        await dir.remove();
      }
    },
  };
}
export { digestAt, pushImage, pushIndex, pushLargeImage } from '../../services/adapter/test/factories/content.js';

/** Harbor's ReplicationExecution, plus what a user reads of it. */
export interface ExecutionView {
  id: number;
  policy_id: number;
  status: 'InProgress' | 'Succeed' | 'Failed' | 'Stopped';
  trigger: 'manual' | 'scheduled' | 'event_based';
  start_time: string | null;
  end_time: string | null;
  status_text: string;
  total: number;
  failed: number;
  succeed: number;
  in_progress: number;
  stopped: number;
}

export interface TaskView {
  id: number;
  execution_id: number;
  status: string;
  job_id: string;
  operation: string;
  resource_type: string;
  src_resource: string;
  dst_resource: string;
  /** Why the task failed (or was submitted again); '' otherwise. */
  status_text: string;
  bytes_copied: number | null;
  bytes_total: number | null;
  eta_seconds: number | null;
}

export interface DryRunView {
  policy_id: number;
  repositories: { src: string; dst: string; artifacts: { digest: string; tags: string[]; size?: number; present_at_destination: boolean }[] }[];
  totals: { repositories: number; artifacts: number; tags: number; bytes_to_copy: number | null; bytes_present: number | null };
}

/** The id at the end of a 201's Location header. */
function createdId(answer: { status: number; text: string; headers: Headers }, what: string): number {
  if (answer.status !== 201) throw new Error(`creating ${what} answered ${answer.status}: ${answer.text}`);
  const id = Number(/\/(\d+)$/.exec(answer.headers.get('location') ?? '')?.[1]);
  if (!Number.isInteger(id)) throw new Error(`creating ${what}: no id in Location ${answer.headers.get('location')}`);
  return id;
}

/** `POST /registries`: a `docker-registry` endpoint for a distribution, with its basic credential; returns its id. */
export async function createRegistryEndpoint(admin: HarborClient, name: string, registry: { url: string; username?: string; password?: string }): Promise<number> {
  const answer = await admin.post('/registries', {
    name,
    type: 'docker-registry',
    url: registry.url,
    insecure: true,
    ...(registry.username ? { credential: { type: 'basic', access_key: registry.username, access_secret: registry.password } } : {}),
  });
  return createdId(answer, `registry ${name}`);
}

/** `POST /replication/policies` (enabled unless the body says otherwise); returns its id. */
export async function createPolicy(admin: HarborClient, body: Record<string, unknown>): Promise<number> {
  return createdId(await admin.post('/replication/policies', { enabled: true, ...body }), `policy ${String(body.name)}`);
}

/** `POST /replication/executions`; returns the new execution's id. */
export async function startExecution(admin: HarborClient, policyId: number): Promise<number> {
  return createdId(await admin.post('/replication/executions', { policy_id: policyId }), `an execution of policy ${policyId}`);
}

export async function getExecution(admin: HarborClient, id: number): Promise<ExecutionView> {
  const answer = await admin.get<ExecutionView>(`/replication/executions/${id}`);
  if (answer.status !== 200) throw new Error(`GET execution ${id} answered ${answer.status}: ${answer.text}`);
  return answer.body;
}

/** Polls until `done` holds; fails with the last value after `timeoutMs`. */
export async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 60_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Waits until the execution is no longer InProgress and returns it. */
export function finished(admin: HarborClient, id: number, timeoutMs = 60_000): Promise<ExecutionView> {
  return until(`execution ${id}`, () => getExecution(admin, id), (e) => e.status !== 'InProgress', timeoutMs);
}

/** Starts an execution of the policy and waits for its end. */
export async function replicate(admin: HarborClient, policyId: number, timeoutMs = 60_000): Promise<ExecutionView> {
  return finished(admin, await startExecution(admin, policyId), timeoutMs);
}

export async function executionsOf(admin: HarborClient, policyId: number): Promise<ExecutionView[]> {
  const answer = await admin.get<ExecutionView[]>(`/replication/executions?policy_id=${policyId}&page_size=100`);
  if (answer.status !== 200) throw new Error(`listing executions answered ${answer.status}: ${answer.text}`);
  return answer.body;
}

export async function tasksOf(admin: HarborClient, executionId: number): Promise<TaskView[]> {
  const answer = await admin.get<TaskView[]>(`/replication/executions/${executionId}/tasks?page_size=100`);
  if (answer.status !== 200) throw new Error(`listing tasks answered ${answer.status}: ${answer.text}`);
  return answer.body;
}

/** The task logs of an execution, for messages and for the secret checks. */
export async function taskLogs(admin: HarborClient, executionId: number): Promise<string[]> {
  const logs: string[] = [];
  for (const task of await tasksOf(admin, executionId)) {
    const answer = await admin.get(`/replication/executions/${executionId}/tasks/${task.id}/log`);
    if (answer.status !== 200) throw new Error(`task ${task.id} log answered ${answer.status}: ${answer.text}`);
    logs.push(answer.text);
  }
  return logs;
}

/** An execution that should have succeeded: its counts, with the task logs in the message when it did not. */
export async function expectSucceeded(admin: HarborClient, execution: ExecutionView, total: number): Promise<void> {
  const detail = execution.status === 'Succeed' ? '' : `${JSON.stringify(execution)}\n${(await taskLogs(admin, execution.id)).join('\n---\n')}`;
  expect(execution.status, detail).toBe('Succeed');
  expect(execution).toMatchObject({ total, succeed: total, failed: 0, in_progress: 0, stopped: 0 });
}

/** A registry client carrying a token for pull+push+delete on `repository` of the suite, as admin. */
export async function wharfRegistry(suite: Suite, repository: string) {
  return suite.registryAs({ username: 'admin', password: suite.adminPassword }, [`repository:${repository}:pull,push,delete`]);
}

/** The digest Wharf answers for `repository:reference` (HEAD through the proxy), or undefined. */
export async function wharfDigest(suite: Suite, repository: string, reference: string): Promise<string | undefined> {
  const client = await wharfRegistry(suite, repository);
  const answer = await client.request('HEAD', `/v2/${repository}/manifests/${reference}`, { headers: { Accept: MANIFEST_ACCEPT } });
  return answer.status === 200 ? (answer.headers.get('docker-content-digest') ?? undefined) : undefined;
}

/** Pushes an image (blobs, manifest under each tag) to Wharf through the proxy. */
export async function pushToWharf(suite: Suite, repository: string, image: Pick<TestImage, 'config' | 'layers' | 'manifest'>, tags: readonly string[]): Promise<void> {
  const client = await wharfRegistry(suite, repository);
  for (const tag of tags) await client.pushImage(repository, image, tag);
}

/** Pushes an index (its platform images by digest first) to Wharf under each tag. */
export async function pushIndexToWharf(suite: Suite, repository: string, images: readonly TestImage[], index: TestBlob, tags: readonly string[]): Promise<void> {
  const client = await wharfRegistry(suite, repository);
  for (const image of images) await client.pushImage(repository, image, image.manifest.digest);
  for (const tag of tags) {
    const answer = await client.pushManifest(repository, tag, index);
    if (answer.status !== 201) throw new Error(`index push to ${repository}:${tag} answered ${answer.status}`);
  }
}

/** `GET /v2/<repository>/tags/list` of a distribution (sorted; [] when the repository is absent). */
export async function distributionTags(registry: { url: string; adminAuth(scope: string): Promise<string | undefined> }, repository: string): Promise<string[]> {
  const auth = await registry.adminAuth(`repository:${repository}:pull`);
  const answer = await fetch(`${registry.url}/v2/${repository}/tags/list`, { headers: auth ? { Authorization: auth } : {} });
  if (answer.status === 404) return [];
  const body = (await answer.json()) as { tags?: string[] | null };
  if (answer.status !== 200) throw new Error(`tags/list of ${repository} answered ${answer.status}: ${JSON.stringify(body)}`);
  return [...(body.tags ?? [])].sort();
}

export const SERVICES = ['core', 'jobservice', 'adapter', 'proxy', 'registry-facade'] as const;


/**
 * The registry credentials never show: not in `GET /registries[/{id}]`, not in any
 * service's log, not in any task log of any replication execution.
 */
export async function expectSecretsHidden(suite: Suite, secrets: readonly string[]): Promise<void> {
  const hidden = (text: string, where: string) => {
    for (const secret of secrets) expect(text.includes(secret), `${where} contains a registry password`).toBe(false);
  };
  const list = await suite.admin.get<{ id: number }[]>('/registries?page_size=100');
  expect(list.status).toBe(200);
  expect(list.body.length).toBeGreaterThan(0);
  hidden(list.text, 'GET /registries');
  for (const { id } of list.body) {
    const one = await suite.admin.get(`/registries/${id}`);
    expect(one.status).toBe(200);
    hidden(one.text, `GET /registries/${id}`);
  }
  const policies = await suite.admin.get<{ id: number }[]>('/replication/policies?page_size=100');
  hidden(policies.text, 'GET /replication/policies');
  let logs = 0;
  for (const policy of policies.body) {
    for (const execution of await executionsOf(suite.admin, policy.id)) {
      for (const log of await taskLogs(suite.admin, execution.id)) {
        hidden(log, `a task log of execution ${execution.id}`);
        logs += 1;
      }
    }
  }
  expect(logs).toBeGreaterThan(0);
  for (const service of SERVICES) {
    const log = await suite.log(service);
    expect(log.length, `${service}.log is empty`).toBeGreaterThan(0);
    hidden(log, `${service}.log`);
  }
}
